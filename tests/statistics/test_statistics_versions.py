"""A published table answer stands only while the data it was computed from does: a new batch
file generation, or a new pass over the tax service once ``tax_ttl_s`` has passed, gives a new
answer (a fresh release), which then stands in its turn."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from fixtures.generate import generate, write_all
from govgraph import demo

ACTIVE = """
query { statistics { table(purpose: "versions test", request: {
  by: ["benefits.claim_status"], where: [{ condition: "benefits.active_claim" }]
}) { total charged margin95 cells { labels value } } } }
"""
OWES = """
query { statistics { table(purpose: "versions test", request: {
  by: ["tax.tax_band"], where: [{ condition: "tax.owes" }]
}) { total charged cells { labels value } } } }
"""
PASSES = re.compile(r'^govgraph_statistics_passes_total\{department="(\w+)"\} (\S+)$', re.M)


@dataclass
class Served:
    client: httpx.AsyncClient
    data: Path
    headers: dict[str, str]
    active: int
    """Active claimants the first population's benefits file holds, all linked."""


@pytest.fixture
def data(tmp_path: Path) -> Iterator[tuple[Path, Path, int]]:
    """150 people (seed 7), and another generation of the benefits file from 150 others (seed
    8) whose claimants the citizen index does not know."""
    people = generate(people=150, seed=7, noise="clean")
    write_all(people, tmp_path / "a")
    write_all(generate(people=150, seed=8, noise="clean"), tmp_path / "b")
    active = sum(1 for p in people.people if any(c.status == "A" for c in p.benefits))
    yield tmp_path / "a", tmp_path / "b", active


@pytest_asyncio.fixture
async def served(data: tuple[Path, Path, int]) -> AsyncIterator[Served]:
    from govgraph.commands.link import link_from_settings
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    here, _other, active = data
    idp = demo.identity_provider(here)
    with demo.tax_service(here) as tax_url:
        mapping = demo.config_mapping(here, tax_url, port=0)
        mapping["sources"]["benefits"]["options"]["poll_interval_s"] = 0.1
        mapping["statistics"].update(
            {"epsilon": 5.0, "budget": 1000.0, "tax_ttl_s": 1.0, "secret": "versions"}
        )
        config = here / "versions.toml"
        demo.write_config(config, mapping)
        settings = load_settings(config)
        await link_from_settings(settings)
        server = build_server(settings, port=0)
        task = asyncio.create_task(server.serve())
        try:
            port = await wait_started(server)
            token = idp.token(role="analyst")
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=120
            ) as client:
                yield Served(client, here, {"Authorization": f"Bearer {token}"}, active)
        finally:
            server.should_exit = True
            await task


async def _ask(s: Served, query: str) -> dict[str, Any]:
    response = await s.client.post("/graphql", json={"query": query}, headers=s.headers)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    table: dict[str, Any] = body["data"]["statistics"]["table"]
    return table


async def _passes(s: Served) -> dict[str, float]:
    text = (await s.client.get("/metrics")).text
    return {dept: float(n) for dept, n in PASSES.findall(text)}


async def test_a_new_batch_file_generation_gives_a_new_answer(
    served: Served, data: tuple[Path, Path, int]
) -> None:
    """Asked again, the same table is the same answer for free; once the benefits file's next
    generation (other people, none of them linked) is served, the same table is computed from
    it and released afresh, then stands in its turn."""
    first = await _ask(served, ACTIVE)
    assert first["charged"] > 0
    assert abs(first["total"] - served.active) <= 3 * first["margin95"] + 1
    again = await _ask(served, ACTIVE)
    assert again["charged"] == 0 and again["cells"] == first["cells"]

    (old,) = (served.data / "benefits").glob("BENEFITS.D*")
    (other,) = (data[1] / "benefits").glob("BENEFITS.D*")
    shutil.copyfile(other, old.with_name(f"{old.name}9"))
    for _ in range(600):
        renewed = await _ask(served, ACTIVE)
        if renewed["charged"] > 0:
            break
        assert renewed["cells"] == first["cells"]
        await asyncio.sleep(0.05)
    assert renewed["charged"] > 0
    assert renewed["total"] <= 3 * renewed["margin95"] + 1 < served.active
    stands = await _ask(served, ACTIVE)
    assert stands["charged"] == 0 and stands["cells"] == renewed["cells"]


async def test_a_new_pass_of_the_tax_service_gives_a_new_answer(served: Served) -> None:
    """Past ``tax_ttl_s`` the answer from the old pass stands while a new pass runs in the
    background; once that pass is in, the table is released afresh from it."""
    first = await _ask(served, OWES)
    assert first["charged"] > 0 and (await _passes(served))["tax"] == 1
    await asyncio.sleep(1.2)
    stale = await _ask(served, OWES)
    assert stale["charged"] == 0 and stale["cells"] == first["cells"]
    for _ in range(600):
        if (await _passes(served)).get("tax", 0) >= 2:
            break
        await asyncio.sleep(0.05)
    assert (await _passes(served))["tax"] == 2
    renewed = await _ask(served, OWES)
    assert renewed["charged"] > 0
