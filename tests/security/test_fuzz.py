"""Fuzzing the running gateway with schemathesis: generated operations from the schema, sent
over HTTP as a citizen (queries) and as a caseworker (queries and mutations, which a
caseworker may not run, so nothing is written). No 5xx, no hang, and nothing of anyone else in
what the citizen gets back."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.index import CitizenIndex
from schema import build_schema
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXAMPLES = 150
SLOW_EXAMPLES = 1500
REQUEST_TIMEOUT_S = 15


@dataclass
class FuzzReport:
    """What one fuzzing run sent and saw."""

    operations: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    slowest_s: float = 0.0
    answered: int = 0
    """Operations answered with data and no error at all."""


schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.from_regex(r"[0-9]{1,9}(\.[0-9]{1,2})?", fullmatch=True), st.text(max_size=12)
    ).map(schemathesis.graphql.nodes.String),
)
"""Money arguments: amounts in the grammar and any other text (refused as INVALID_AMOUNT)."""


def _strategy(queries_only: bool) -> st.SearchStrategy[Any]:
    sdl = print_schema(build_schema()._schema)
    schema = schemathesis.graphql.from_file(sdl)
    if queries_only:
        schema = schema.include(name_regex=r"^Query\.")
    return schema.as_strategy()


def fuzz(
    base_url: str,
    headers: dict[str, str],
    forbidden: list[str],
    examples: int,
    *,
    queries_only: bool,
) -> FuzzReport:
    """Send ``examples`` generated operations; record 5xx, slow answers and forbidden text."""
    report = FuzzReport()
    strategy = _strategy(queries_only)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        started = time.monotonic()
        response = case.call(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S)
        elapsed = time.monotonic() - started
        report.operations += 1
        report.slowest_s = max(report.slowest_s, elapsed)
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        body = response.text
        if response.status_code == 200 and '"errors"' not in body and '"data":{' in body:
            report.answered += 1
        if response.status_code >= 500 or response.status_code == 404:
            report.failures.append(f"{response.status_code} for {case.body!r}")
        for secret in forbidden:
            if secret in body:
                report.failures.append(f"another person's data for {case.body!r}")
                break

    run()
    return report


async def _own_and_others(gateway: RunningGateway) -> tuple[str, list[str]]:
    """A citizen with records in most departments, and every other person's identifiers."""
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        counts: dict[str, set[str]] = {}
        for link in await index.all_links():
            counts.setdefault(link.citizen_id, set()).add(link.source)
        own = min(counts, key=lambda c: (-len(counts[c]), c))
        profile = (await index.profiles([own]))[own]
    finally:
        await index.aclose()
    others: list[str] = []
    for p in gateway.population.people:
        if (p.surname, p.date_of_birth) == (profile.surname, profile.date_of_birth):
            continue
        others.append(f"{p.given_name} {p.surname}")
        others.extend(x for x in (p.nino,) if x)
        if p.passport is not None:
            others.append(p.passport.passport_number)
        if p.licence is not None:
            others.append(p.licence.licence_number)
    return own, others


async def _run(gateway: RunningGateway, examples: int) -> list[FuzzReport]:
    own, others = await _own_and_others(gateway)
    citizen = gateway.headers("citizen", own)
    caseworker = gateway.headers("caseworker")
    url = f"{gateway.base_url}/graphql"
    as_citizen = await asyncio.to_thread(
        lambda: fuzz(url, citizen, others, examples, queries_only=True)
    )
    as_caseworker = await asyncio.to_thread(
        lambda: fuzz(url, caseworker, [], examples, queries_only=False)
    )
    for label, report in (("citizen", as_citizen), ("caseworker", as_caseworker)):
        print(
            f"fuzz as {label}: {report.operations} operations, statuses {report.statuses}, "
            f"{report.answered} answered without error, "
            f"slowest {report.slowest_s:.2f} s, {len(report.failures)} failures"
        )
    return [as_citizen, as_caseworker]


async def test_fuzzed_operations_never_fail_or_leak(gateway: RunningGateway) -> None:
    """A bounded schemathesis run gets no 5xx, answers each request in time, and never shows
    the citizen anyone else's names or identifiers."""
    reports = await _run(gateway, EXAMPLES)
    assert reports[0].answered > 0
    for report in reports:
        assert report.operations >= EXAMPLES // 2
        assert not report.failures, report.failures[:5]
        assert report.slowest_s < REQUEST_TIMEOUT_S


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_long_fuzzing_run(gateway: RunningGateway) -> None:
    """The same properties over a ten times longer run."""
    for report in await _run(gateway, SLOW_EXAMPLES):
        assert not report.failures, report.failures[:5]
