"""A gateway over its own generated data for the write tests (writes change the data)."""

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
def write_population() -> Any:
    from fixtures.generate import generate

    return generate(people=150, seed=29, noise="realistic", as_of=date.today())


@pytest.fixture(scope="session")
def write_data(tmp_path_factory: pytest.TempPathFactory, write_population: Any) -> Path:
    from fixtures.generate import write_all

    data_dir = tmp_path_factory.mktemp("write-data")
    write_all(write_population, data_dir)
    return data_dir


@pytest.fixture(scope="session")
def write_tax_url(write_data: Path) -> Iterator[str]:
    with demo.tax_service(write_data) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def write_gateway(
    write_data: Path, write_tax_url: str, write_population: Any
) -> AsyncIterator[RunningGateway]:
    async with running_gateway(write_data, write_tax_url, write_population) as gateway:
        yield gateway


@pytest_asyncio.fixture(loop_scope="session")
async def write_client(write_gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=write_gateway.base_url, timeout=60) as c:
        yield c
