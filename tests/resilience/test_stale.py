"""Last-known data: while tax fails, its previous answer is served and marked stale."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.harness import RunningGateway
from tests.resilience.conftest import Faults
from tests.resilience.stack import assert_partial, me, persona_keys, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("max_age_s", [300.0, 0.05], ids=["fresh", "too-old"])
async def test_tax_down_serves_last_known_data_while_young_enough(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    max_age_s: float,
) -> None:
    """A failing tax source answers from its last answer, marked stale, unless it is too old."""
    stale = {"stale": {"enabled": True, "max_age_s": max_age_s}}
    settings = settings_for(gateway.data_dir, faulty_tax, index_url, sources={"tax": stale})
    async with serve(settings) as served:
        first = await me(served, gateway, citizen)
        assert "extensions" not in first
        tax_faults.set(mode="failing", retry_after_s=0)
        await asyncio.sleep(0.1)
        body = await me(served, gateway, citizen)
    if max_age_s == 0.05:
        assert_partial(body, baseline, "tax", "UPSTREAM_BUSY")
        assert "extensions" not in body
        return
    assert "errors" not in body, body["errors"]
    assert body["data"]["me"] == baseline
    [entry] = body["extensions"]["stale"]
    assert entry["service"] == "tax"
    assert 0.1 <= entry["ageSeconds"] < 300


async def test_discarded_key_is_not_served_stale(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
) -> None:
    """After a write forgets a key's last answer, a failing source answers it with its error."""
    stale = {"stale": {"enabled": True, "max_age_s": 300.0}}
    settings = settings_for(gateway.data_dir, faulty_tax, index_url, sources={"tax": stale})
    [nino] = persona_keys(gateway.population)["tax"]
    async with serve(settings) as served:
        first = await me(served, gateway, citizen)
        assert "extensions" not in first
        tax_cache = served.sources["tax"].stale
        assert tax_cache is not None and tax_cache.get(nino) is not None
        served.sources["tax"].forget([nino])
        assert tax_cache.get(nino) is None
        tax_faults.set(mode="failing", retry_after_s=0)
        body = await me(served, gateway, citizen)
    assert_partial(body, baseline, "tax", "UPSTREAM_BUSY")
    assert "extensions" not in body
