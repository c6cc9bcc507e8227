"""Session fixtures: a generated population, the simulated tax service and a running gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from tests.harness import RunningGateway, running_gateway


@pytest.fixture(scope="session")
def population() -> Any:
    from fixtures.generate import generate

    return generate(people=300, seed=11, noise="realistic", as_of=date.today())


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory, population: Any) -> Path:
    from fixtures.generate import write_all

    data_dir = tmp_path_factory.mktemp("demo-data")
    write_all(population, data_dir)
    return data_dir


@pytest.fixture(scope="session")
def tax_url(demo_data: Path) -> Iterator[str]:
    with demo.tax_service(demo_data) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gateway(demo_data: Path, tax_url: str, population: Any) -> AsyncIterator[RunningGateway]:
    async with running_gateway(demo_data, tax_url, population) as gateway:
        yield gateway


@pytest_asyncio.fixture(loop_scope="session")
async def client(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as c:
        yield c
