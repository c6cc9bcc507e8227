"""The issue's three questions on 100,000 people (slow suite): the same checks as
``test_table_builder.py``, against the generated population, with the default privacy settings
(epsilon 0.25 a table), so the stated noise is the production noise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from tests.harness import running_gateway
from tests.statistics.conftest import PlantedGroup, StatsGateway
from tests.statistics.test_table_builder import (
    test_overpayment_and_unpaid_fine_by_region_and_age,
    test_passports_expiring_in_six_months_by_council,
    test_tax_owed_by_benefit_claimants_by_region,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000)]

PEOPLE = 100_000

__all__ = [
    "test_overpayment_and_unpaid_fine_by_region_and_age",
    "test_passports_expiring_in_six_months_by_council",
    "test_tax_owed_by_benefit_claimants_by_region",
]


@pytest.fixture(scope="module")
def population_100k() -> Any:
    from fixtures.generate import generate

    return generate(people=PEOPLE, seed=18, noise="clean", as_of=date.today())


@pytest.fixture(scope="module")
def data_100k(tmp_path_factory: pytest.TempPathFactory, population_100k: Any) -> Path:
    from fixtures.generate import write_all

    folder = tmp_path_factory.mktemp("stats-100k")
    write_all(population_100k, folder)
    return folder


@pytest.fixture(scope="module")
def tax_100k(data_100k: Path) -> Iterator[str]:
    with demo.tax_service(data_100k) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stats_gateway(
    data_100k: Path, tax_100k: str, population_100k: Any
) -> AsyncIterator[StatsGateway]:
    """A gateway over the 100,000 people with its own statistics engine (default privacy)."""
    async with running_gateway(data_100k, tax_100k, population_100k) as running:
        group = PlantedGroup("", "", "", "", [])
        yield StatsGateway(running, None, group)  # type: ignore[arg-type]


@pytest_asyncio.fixture(loop_scope="session")
async def stats_client(stats_gateway: StatsGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stats_gateway.running.base_url, timeout=900) as c:
        yield c
