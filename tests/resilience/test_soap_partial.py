"""A failing SOAP tax service nulls only the tax field, with a typed error; the rest is whole."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.harness import RunningGateway
from tests.resilience.conftest import Faults
from tests.resilience.stack import assert_partial, me, serve, settings_for, unused_port

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        ({"mode": "slow", "slow_ms": 3000}, "UPSTREAM_TIMEOUT"),
        ({"mode": "dead"}, "UPSTREAM_TIMEOUT"),
        ({"mode": "failing", "retry_after_s": 0}, "UPSTREAM_BUSY"),
    ],
    ids=["slow", "dead", "failing"],
)
async def test_tax_fault_gives_typed_partial_result(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    faults: dict[str, Any],
    code: str,
) -> None:
    """Slow, dead and failing tax services each null `tax` alone with their own error code."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url)
    async with serve(settings) as served:
        tax_faults.set(**faults)
        body = await me(served, gateway, citizen)
    assert_partial(body, baseline, "tax", code)


async def test_unreachable_tax_is_unavailable(
    gateway: RunningGateway, index_url: str, citizen: str, baseline: dict[str, Any]
) -> None:
    """A tax endpoint that refuses connections gives UPSTREAM_UNAVAILABLE on `tax` only."""
    dead = f"http://127.0.0.1:{unused_port()}"
    settings = settings_for(gateway.data_dir, dead, index_url)
    async with serve(settings) as served:
        body = await me(served, gateway, citizen)
    assert_partial(body, baseline, "tax", "UPSTREAM_UNAVAILABLE")


async def test_breaker_opens_then_recovers_when_the_service_returns(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
) -> None:
    """Repeated failures open the breaker (CIRCUIT_OPEN, no call made); recovery closes it."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url)
    async with serve(settings) as served:
        tax_faults.set(mode="failing", retry_after_s=0)
        await me(served, gateway, citizen)
        assert served.sources["tax"].breaker.current().value == "open"
        calls_before = tax_faults.calls()
        body = await me(served, gateway, citizen)
        assert_partial(body, baseline, "tax", "CIRCUIT_OPEN")
        assert tax_faults.calls() == calls_before

        tax_faults.set(mode="ok")
        for _ in range(50):
            await asyncio.sleep(0.1)
            body = await me(served, gateway, citizen)
            if body["data"]["me"]["tax"] is not None:
                break
        assert "errors" not in body, body["errors"]
        assert body["data"]["me"] == baseline
        assert served.sources["tax"].breaker.current().value == "closed"
