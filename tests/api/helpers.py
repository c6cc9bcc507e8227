"""Helpers for API tests: finding people in the population and their citizen ids."""

from __future__ import annotations

import re
from typing import Any

import httpx

from govgraph.index import CitizenIndex


async def citizen_id_for(index_url: str, source: str, key: str) -> str | None:
    """The citizen the index links ``source``'s ``key`` to."""
    index = CitizenIndex(index_url)
    await index.open()
    try:
        return (await index.citizens_for(source, [key])).get(key)
    finally:
        await index.aclose()


def persona(population: Any) -> Any:
    """The first person with records in every department."""
    for person in population.people:
        if (
            person.tax is not None
            and person.benefits
            and person.passport is not None
            and person.licence is not None
            and person.vehicles
            and person.penalty_notices
        ):
            return person
    raise AssertionError("the generated population has nobody in every department")


def counters(metrics_text: str, name: str) -> dict[str, float]:
    """Values of one Prometheus counter by its ``source`` label."""
    out = {}
    for m in re.finditer(rf'^{name}\{{source="([^"]+)"\}} ([0-9.e+]+)$', metrics_text, re.M):
        out[m.group(1)] = float(m.group(2))
    return out


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()
