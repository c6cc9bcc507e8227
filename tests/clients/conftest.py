"""Fixtures of the client conformance tests: the npm tools pinned in this folder, and a gateway
with a tax service of its own (whose faults these tests change)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from govgraph import demo
from tests.clients.tools import HERE, NodeTools
from tests.harness import RunningGateway, gateway_copy, npm_ci


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """Node and the pinned client tools; ``npm ci`` runs once when ``node_modules`` is missing
    or was installed from another lock file. Without Node 20+ and npm the tests skip, except
    under ``CI=true`` where they fail."""
    node = npm_ci(HERE, "the client conformance tests")
    return NodeTools(node=node, folder=HERE)


@pytest.fixture(scope="module")
def clients_tax_url(demo_data: Path) -> Iterator[str]:
    """A simulated tax service only these tests use, so its faults touch nobody else."""
    with demo.tax_service(demo_data) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def clients_gateway(
    gateway: RunningGateway, clients_tax_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    """A gateway over the session's departments, calling the tax service above."""
    async with gateway_copy(gateway, clients_tax_url, tmp_path_factory.mktemp("clients")) as gw:
        yield gw
