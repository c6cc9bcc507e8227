"""A gateway over a generated population with one planted group of exactly three people.

The group: three keepers, each with one open penalty notice for contravention ``99`` from the
first council, issued this month, all living in postcode area ``QZ`` (which nobody else uses).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from govgraph.settings import load_settings
from govgraph.statistics import StatisticsService, StatisticsSettings
from tests.harness import RunningGateway

GROUP_AREA = "QZ"
GROUP_CODE = "99"


@dataclass
class PlantedGroup:
    """Where the planted group of three sits in the tables."""

    council: str
    contravention: str
    month: str
    area: str
    vrms: list[str]


@dataclass
class StatsGateway:
    """The running gateway, its engine and the planted group."""

    running: RunningGateway
    service: StatisticsService
    group: PlantedGroup
    gateway: Any = None
    """The running gateway's state (its ``statistics`` engine may be swapped by a test)."""

    def headers(self, role: str = "analyst", **kw: Any) -> dict[str, str]:
        return self.running.headers(role, **kw)


def _plant(population: Any) -> PlantedGroup:
    from fixtures.model import PenaltyNotice

    council = population.councils[0]
    today = population.as_of
    keepers = [p for p in population.people if p.vehicles and not p.penalty_notices][:3]
    assert len(keepers) == 3
    vrms = []
    for i, person in enumerate(keepers):
        vehicle = person.vehicles[0]
        identity = person.licence.identity if person.licence else None
        assert identity is not None
        address = dataclasses.replace(identity.address, postcode=f"{GROUP_AREA}{i + 1} 1AA")
        person.penalty_notices.append(
            PenaltyNotice(
                pcn=f"{council.code}{99999990 + i:08d}",
                council_code=council.code,
                vrm=vehicle.vrm,
                keeper=dataclasses.replace(identity, address=address),
                contravention_code=GROUP_CODE,
                contravention="Planted contravention",
                location="High Street",
                issued_at=datetime(today.year, today.month, 1, 9, 30),
                amount=Decimal("70.00"),
                discount_amount=Decimal("35.00"),
                discount_deadline=today + timedelta(days=14),
                status="OPEN",
            )
        )
        vrms.append(vehicle.vrm)
    return PlantedGroup(
        council=council.name,
        contravention=GROUP_CODE,
        month=f"{today.year:04d}-{today.month:02d}",
        area=GROUP_AREA,
        vrms=vrms,
    )


@pytest.fixture(scope="session")
def stats_population() -> tuple[Any, PlantedGroup]:
    from fixtures.generate import generate

    population = generate(people=500, seed=23, noise="clean", as_of=date.today())
    return population, _plant(population)


@pytest.fixture(scope="session")
def stats_data(
    tmp_path_factory: pytest.TempPathFactory, stats_population: tuple[Any, PlantedGroup]
) -> Path:
    from fixtures.generate import write_all

    data_dir = tmp_path_factory.mktemp("stats-data")
    write_all(stats_population[0], data_dir)
    return data_dir


@pytest.fixture(scope="session")
def stats_tax_url(stats_data: Path) -> Iterator[str]:
    with demo.tax_service(stats_data) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stats_gateway(
    stats_data: Path, stats_tax_url: str, stats_population: tuple[Any, PlantedGroup]
) -> AsyncIterator[StatsGateway]:
    from govgraph.commands.link import link_from_settings
    from govgraph.serve import build_server, wait_started

    idp = demo.identity_provider(stats_data)
    config = stats_data / "govgraph.toml"
    demo.write_config(config, demo.config_mapping(stats_data, stats_tax_url, port=0))
    settings = load_settings(config)
    await link_from_settings(settings)
    server = build_server(settings, port=0)
    gw = server.config.app.state.gateway
    service = StatisticsService(
        gw.sources,
        gw.index,
        StatisticsSettings(
            noise=0,
            amount_noise=0,
            secret="tests",
            areas=settings.statistics.areas,
            epsilon=5.0,
            budget=1e6,
        ),
        metrics=gw.metrics,
        store_url=settings.gateway.index_url,
    )
    gw.statistics = service
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    running = RunningGateway(
        base_url=f"http://127.0.0.1:{port}",
        settings=settings,
        data_dir=stats_data,
        idp=idp,
        population=stats_population[0],
    )
    try:
        yield StatsGateway(running, service, stats_population[1], gw)
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(loop_scope="session")
async def stats_client(stats_gateway: StatsGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stats_gateway.running.base_url, timeout=60) as c:
        yield c
