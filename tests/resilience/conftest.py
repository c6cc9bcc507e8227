"""Fixtures of the resilience tests: a tax service of their own, whose faults they change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from tests.harness import RunningGateway
from tests.resilience.stack import ME, persona_keys, serve, settings_for, write_index


class Faults:
    """The simulated tax service's fault injection (``POST /admin/faults``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def set(self, **changes: Any) -> None:
        httpx.post(f"{self.base_url}/admin/faults", json=changes).raise_for_status()

    def calls(self) -> int:
        """SOAP calls the service has answered or refused since it started."""
        stats = httpx.get(f"{self.base_url}/admin/stats").json()
        return int(stats["total_calls"])

    def reset(self) -> None:
        self.set(mode="ok", latency_ms=0, error_rate=0, retry_after_s=1)


@pytest.fixture(scope="session")
def faulty_tax(demo_data: Path) -> Iterator[str]:
    """A simulated tax service only the resilience tests use (so its faults touch nobody else)."""
    with demo.tax_service(demo_data) as url:
        yield url


@pytest.fixture
def tax_faults(faulty_tax: str) -> Iterator[Faults]:
    """Fault injection on the resilience tests' tax service, reset after each test."""
    faults = Faults(faulty_tax)
    faults.reset()
    yield faults
    faults.reset()


@pytest.fixture(scope="session")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The resilience tests' own citizen index (linked by hand, independent of linkage)."""
    path = tmp_path_factory.mktemp("resilience-index") / "index.sqlite"
    return f"sqlite+aiosqlite:///{path}"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def citizen(gateway: RunningGateway, index_url: str) -> str:
    """A citizen linked to their key in every source."""
    return await write_index(index_url, persona_keys(gateway.population))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def baseline(
    gateway: RunningGateway, faulty_tax: str, index_url: str, citizen: str
) -> dict[str, Any]:
    """The citizen's `me` with every source healthy."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url)
    async with serve(settings) as served:
        response = await served.client.post(
            "/graphql", json={"query": ME}, headers=gateway.headers("citizen", citizen)
        )
    body = response.json()
    assert "errors" not in body, body["errors"]
    me: dict[str, Any] = body["data"]["me"]
    assert all(me[f] for f in ("tax", "benefits", "passport", "parkingFines")), me
    return me
