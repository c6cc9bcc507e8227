"""Coalescing through the gateway: concurrent dashboards share upstream calls, each answer is
its own citizen's, and a shared call's failure reaches each request as its own."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph.index import CitizenIndex
from tests.api.helpers import counters
from tests.harness import RunningGateway
from tests.resilience.conftest import Faults
from tests.resilience.stack import (
    FAST_POLICY,
    ME,
    Served,
    assert_partial,
    me,
    serve,
    settings_for,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHARING = {
    **copy.deepcopy(FAST_POLICY),
    "timeout_s": 8.0,
    "read_timeout_s": 4.0,
    "coalesce": {"after": 1, "max_wait_ms": 5000},
    "chaos": {"latency_ms": 150},
}
"""Every source shares calls as soon as one is in flight (a batch waits for it however long it
takes), and each call takes at least 150 ms, so that requests sent together overlap whatever
the machine's load."""

CALLS = "govgraph_upstream_calls_total"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def citizens(gateway: RunningGateway) -> dict[str, set[str]]:
    """Sixteen linked citizens of the shared gateway's index, with the sources holding each
    (those held by the most sources first)."""
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        held: dict[str, set[str]] = {}
        for link in await index.all_links():
            if link.status == "active":
                held.setdefault(link.citizen_id, set()).add(link.source)
    finally:
        await index.aclose()
    ranked = sorted(held, key=lambda cid: (-len(held[cid]), cid))[:16]
    return {cid: held[cid] for cid in ranked}


async def _dashboards(
    served: Served, gateway: RunningGateway, cids: list[str]
) -> list[dict[str, Any]]:
    """Each citizen's `me`, all sent at once."""
    return await asyncio.gather(*(me(served, gateway, cid) for cid in cids))


async def _calls(served: Served) -> dict[str, float]:
    return counters((await served.client.get("/metrics")).text, CALLS)


async def test_concurrent_dashboards_share_calls_and_each_gets_only_its_own_data(
    gateway: RunningGateway, faulty_tax: str, citizens: dict[str, set[str]]
) -> None:
    """Sixteen citizens' dashboards at once answer exactly what each gets alone, with fewer
    upstream calls per source than requests reading it."""
    index_url = gateway.settings.gateway.index_url
    cids = list(citizens)
    alone_settings = settings_for(
        gateway.data_dir,
        faulty_tax,
        index_url,
        policy={**FAST_POLICY, "coalesce": {"enabled": False}},
    )
    async with serve(alone_settings) as served:
        alone = [await me(served, gateway, cid) for cid in cids]
    for body in alone:
        assert "errors" not in body, body["errors"]
    assert len({str(body["data"]["me"]) for body in alone}) == len(cids)

    async with serve(settings_for(gateway.data_dir, faulty_tax, index_url, policy=SHARING)) as s:
        before = await _calls(s)
        together = await _dashboards(s, gateway, cids)
        after = await _calls(s)
    assert together == alone
    for source in ("tax", "benefits", "passports", "vehicles", "parking"):
        readers = sum(1 for held in citizens.values() if source in held)
        if readers < 2:
            continue
        made = after.get(source, 0) - before.get(source, 0)
        assert 1 <= made < readers, (source, made, readers)


async def test_one_request_on_an_idle_gateway_is_one_call_per_source(
    gateway: RunningGateway, faulty_tax: str, citizens: dict[str, set[str]]
) -> None:
    """Alone, a dashboard makes one call per source it reads, as without coalescing."""
    cid = next(iter(citizens))
    settings = settings_for(
        gateway.data_dir, faulty_tax, gateway.settings.gateway.index_url, policy=SHARING
    )
    async with serve(settings) as served:
        before = await _calls(served)
        body = await me(served, gateway, cid)
        after = await _calls(served)
    assert "errors" not in body, body["errors"]
    made = {s: after.get(s, 0) - before.get(s, 0) for s in after}
    assert {s for s, n in made.items() if n} == citizens[cid]
    assert all(n in (0, 1) for n in made.values()), made


async def test_a_failing_shared_call_reaches_each_request_and_counts_once(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
) -> None:
    """Eight dashboards at once while tax fails: each has tax null with UPSTREAM_BUSY and every
    other department whole; tax was called fewer times than without sharing, and its breaker
    counted one failure per attempt made, not per request."""
    policy = {**SHARING, "breaker": {"failure_threshold": 100, "recovery_s": 5}}
    settings = settings_for(gateway.data_dir, faulty_tax, index_url, policy=policy)
    async with serve(settings) as served:
        tax_faults.set(mode="failing", retry_after_s=0)
        before = await _calls(served)
        bodies = await _dashboards(served, gateway, [citizen] * 8)
        after = await _calls(served)
        breaker = served.sources["tax"].breaker
    for body in bodies:
        assert_partial(body, baseline, "tax", "UPSTREAM_BUSY")
    attempts = after["tax"] - before.get("tax", 0)
    assert 2 <= attempts <= 8, attempts
    assert breaker.failures == attempts


async def test_stale_answers_of_a_shared_call_are_noted_in_each_response(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
) -> None:
    """With last-known data on, a failed shared call answers each request from it, and each
    response says so in its own ``extensions.stale``."""
    tax = {"stale": {"enabled": True, "max_age_s": 300.0}}
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, policy=SHARING, sources={"tax": tax}
    )
    async with serve(settings) as served:
        first = await me(served, gateway, citizen)
        assert "extensions" not in first
        tax_faults.set(mode="failing", retry_after_s=0)
        bodies = await _dashboards(served, gateway, [citizen] * 6)
    for body in bodies:
        assert "errors" not in body, body["errors"]
        assert body["data"]["me"] == baseline
        assert [e["service"] for e in body["extensions"]["stale"]] == ["tax"]


async def test_a_client_hanging_up_does_not_break_the_others(
    gateway: RunningGateway, faulty_tax: str, citizens: dict[str, set[str]]
) -> None:
    """One client gives up mid-request while its reads wait to share calls; the other
    requests of those calls get their data."""
    cids = list(citizens)[:6]
    settings = settings_for(
        gateway.data_dir, faulty_tax, gateway.settings.gateway.index_url, policy=SHARING
    )
    async with serve(settings) as served:
        alone = {cid: await me(served, gateway, cid) for cid in cids}

        async def impatient() -> None:
            async with httpx.AsyncClient(base_url=served.base_url, timeout=0.1) as client:
                with pytest.raises(httpx.TimeoutException):
                    await client.post(
                        "/graphql", json={"query": ME}, headers=gateway.headers("citizen", cids[0])
                    )

        results = await asyncio.gather(impatient(), *(me(served, gateway, c) for c in cids))
        later = await me(served, gateway, cids[0])
    assert results[1:] == [alone[cid] for cid in cids]
    assert later == alone[cids[0]]
