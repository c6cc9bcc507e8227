"""SQL aggregates give the same answers on SQLite, PostgreSQL and MariaDB (the engine matrix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from fixtures.generate import generate
from fixtures.model import Population
from fixtures.sqldb.testing import (
    ENGINES,
    Deployment,
    deploy_population,
)
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.aggregate import GroupBy, Where, aggregate, distinct_keys

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def engine_population() -> Population:
    return generate(people=300, seed=31, noise="clean", as_of=AS_OF)


@pytest.fixture(scope="module", params=ENGINES)
async def deployed(
    request: pytest.FixtureRequest,
    engine_population: Population,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:
    engine: str = request.param
    async with deploy_population(
        engine, engine_population, tmp_path_factory.mktemp(f"agg-{engine}")
    ) as d:
        yield d


def _month(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _area(postcode: str) -> str:
    return "".join(c for c in postcode[:2] if c.isalpha())


async def _connector(deployed: Deployment, source: str) -> SqlConnector:
    connector = SqlConnector.from_options(source, deployed.options(source))
    assert isinstance(connector, SqlConnector)
    return connector


async def test_parking_groups_by_council_code_and_month_on_every_engine(
    deployed: Deployment,
) -> None:
    """Notices by council, contravention and month, with charges, match the population."""
    population = deployed.population
    names = {c.code: c.name for c in population.councils}
    notices = [n for p in population.people for n in p.penalty_notices]
    truth = Counter(
        (names[n.council_code], n.contravention_code, _month(n.issued_at)) for n in notices
    )
    connector = await _connector(deployed, "parking")
    try:
        rows = await aggregate(
            connector,
            group_by=[
                GroupBy("authority"),
                GroupBy("contravention_code"),
                GroupBy("issued_at", "month"),
            ],
            sums=["amount"],
        )
    finally:
        await connector.aclose()
    assert {r.groups: r.records for r in rows} == dict(truth)
    assert sum(r.sums[0] for r in rows) == sum(n.amount for n in notices)


async def test_passport_months_and_areas_filter_on_every_engine(deployed: Deployment) -> None:
    """CYYMMDD expiry dates group and filter by month; postcodes filter by area."""
    holders = [p.passport for p in deployed.population.people if p.passport]
    areas = sorted({_area(h.identity.address.postcode) for h in holders})[:3]
    low, high = "2026-01", "2028-12"
    truth = Counter(
        _month(h.expiry_date)
        for h in holders
        if low <= _month(h.expiry_date) <= high and _area(h.identity.address.postcode) in areas
    )
    connector = await _connector(deployed, "passports")
    try:
        rows = await aggregate(
            connector,
            group_by=[GroupBy("expiry_date", "month")],
            where=[
                Where("expiry_date", months=(low, high)),
                Where("postcode", tuple(areas), by="area"),
            ],
        )
    finally:
        await connector.aclose()
    assert truth
    assert {r.groups[0]: r.distinct for r in rows} == dict(truth)


async def test_unpaid_notice_keys_and_vehicle_keys_on_every_engine(deployed: Deployment) -> None:
    """Keys of unpaid notices (coded statuses) and of keepers by MOT month (YYYYMMDD text)."""
    population = deployed.population
    unpaid = {
        n.vrm
        for p in population.people
        for n in p.penalty_notices
        if n.status in ("OPEN", "CHARGE_CERTIFICATE")
    }
    month = "2026-03"
    keepers = {
        p.licence.licence_number
        for p in population.people
        if p.licence
        for v in p.vehicles
        if v.mot_expiry and _month(v.mot_expiry) == month
    }
    parking = await _connector(deployed, "parking")
    vehicles = await _connector(deployed, "vehicles")
    try:
        found = await distinct_keys(
            parking, where=[Where("status", ("OPEN", "CHARGE_CERTIFICATE"))]
        )
        kept = await distinct_keys(
            vehicles, where=[Where("mot_expiry", months=(month, month))], collection="vehicles"
        )
    finally:
        await parking.aclose()
        await vehicles.aclose()
    assert set(found) == unpaid
    assert set(kept) == keepers
