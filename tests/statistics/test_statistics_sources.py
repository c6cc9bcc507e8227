"""Aggregates computed where the data lives agree with the generated population."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from fixtures import sqldb
from fixtures.benefits import options as benefit_options
from fixtures.benefits import writer as benefit_writer
from govgraph.settings import SourceSettings
from govgraph.sources import Source
from govgraph.statistics import StatisticsFilter, StatisticsService, StatisticsSettings
from govgraph.telemetry import Metrics
from legacy_connectors.flatfile import FlatFileConnector
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.aggregate import GroupBy, Where, aggregate, distinct_keys
from tests.statistics.conftest import PlantedGroup, StatsGateway


def _month(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}"


async def test_sql_group_by_matches_the_population_across_three_schemas(
    stats_data: Path, stats_population: tuple[Any, PlantedGroup]
) -> None:
    """Notices by council, status and month of issue, counted by the three councils' databases,
    equal the generated notices."""
    population, _ = stats_population
    names = {c.code: c.name for c in population.councils}
    truth = Counter(
        (names[n.council_code], n.status, _month(n.issued_at))
        for p in population.people
        for n in p.penalty_notices
    )
    connector = SqlConnector.from_options("parking", sqldb.source_options("parking", stats_data))
    try:
        rows = await aggregate(
            connector,
            group_by=[GroupBy("authority"), GroupBy("status"), GroupBy("issued_at", "month")],
            sums=["amount"],
        )
        assert {r.groups: r.records for r in rows} == dict(truth)
        amounts = sum(n.amount for p in population.people for n in p.penalty_notices)
        assert sum(r.sums[0] for r in rows) == amounts
    finally:
        await connector.aclose()


async def test_sql_filters_by_month_range_and_postcode_area(
    stats_data: Path, stats_population: tuple[Any, PlantedGroup]
) -> None:
    """Passports expiring in a month range in two postcode areas, counted by the database."""
    population, _ = stats_population
    holders = [p.passport for p in population.people if p.passport]
    areas = sorted(
        {h.identity.address.postcode.split(" ")[0].rstrip("0123456789")[:2] for h in holders}
    )[:2]
    months = sorted({_month(h.expiry_date) for h in holders})
    low, high = months[len(months) // 4], months[len(months) // 2]

    def area(h: Any) -> str:
        outward = h.identity.address.postcode.split(" ")[0]
        return "".join(c for c in outward[:2] if c.isalpha())

    truth = Counter(
        _month(h.expiry_date)
        for h in holders
        if low <= _month(h.expiry_date) <= high and area(h) in areas
    )
    connector = SqlConnector.from_options(
        "passports", sqldb.source_options("passports", stats_data)
    )
    try:
        rows = await aggregate(
            connector,
            group_by=[GroupBy("expiry_date", "month")],
            where=[
                Where("expiry_date", months=(low, high)),
                Where("postcode", tuple(areas), by="area"),
            ],
        )
        assert {r.groups[0]: r.distinct for r in rows} == dict(truth)
    finally:
        await connector.aclose()


async def test_distinct_keys_of_a_child_collection(
    stats_data: Path, stats_population: tuple[Any, PlantedGroup]
) -> None:
    """Licence numbers of keepers whose vehicle tax runs out in a month range."""
    population, _ = stats_population
    month = _month(population.as_of)
    truth = {
        p.licence.licence_number
        for p in population.people
        if p.licence
        for v in p.vehicles
        if v.tax_expiry and _month(v.tax_expiry) == month
    }
    connector = SqlConnector.from_options("vehicles", sqldb.source_options("vehicles", stats_data))
    try:
        found = await distinct_keys(
            connector, where=[Where("tax_expiry", months=(month, month))], collection="vehicles"
        )
        assert set(found) == truth
    finally:
        await connector.aclose()


async def test_benefits_are_read_once_per_file_generation(
    tmp_path: Path, stats_data: Path, stats_population: tuple[Any, PlantedGroup]
) -> None:
    """Repeated and differently filtered questions reuse one pass; a new generation is re-read."""
    population, _ = stats_population
    folder = tmp_path / "benefits"
    shutil.copytree(benefit_options.benefits_dir(stats_data), folder)
    connector = FlatFileConnector.from_options("benefits", benefit_options.source_options(tmp_path))
    await connector.open()
    try:
        service = StatisticsService(
            {"benefits": Source("benefits", connector, SourceSettings(kind="flatfile"), Metrics())},
            None,
            StatisticsSettings(noise=0, cache_ttl_s=0),
        )
        first = await service.exact("benefit_claims", StatisticsFilter())
        await service.exact("benefit_claims", StatisticsFilter.of(postcode_areas=["AB"]))
        await service.exact("benefit_claims", StatisticsFilter())
        assert service.passes("benefits")[0] == 1
        claims = sum(len(p.benefits) for p in population.people)
        assert first.get((None, None)).records == claims
        fewer = dataclasses.replace(
            population, as_of=population.as_of + timedelta(days=1), people=population.people[:100]
        )
        benefit_writer.write(fewer, tmp_path)
        assert await connector.refresh()
        second = await service.exact("benefit_claims", StatisticsFilter())
        assert service.passes("benefits")[0] == 2
        assert second.get((None, None)).records == sum(len(p.benefits) for p in fewer.people)
    finally:
        await connector.aclose()


async def test_tax_scan_is_reused_until_its_time_to_live_ends(stats_gateway: StatsGateway) -> None:
    """The tax service is scanned once per time-to-live, and again once it has passed."""
    gw = stats_gateway.service
    population = stats_gateway.running.population
    cached = StatisticsService(gw.sources, gw.index, StatisticsSettings(noise=0, cache_ttl_s=0))
    table = await cached.exact("tax_balances", StatisticsFilter())
    await cached.exact("tax_balances", StatisticsFilter.of(postcode_areas=["AB"]))
    assert cached.passes("tax")[0] == 1
    taxpayers = sum(1 for p in population.people if p.tax)
    assert table.get((None, None)).people == taxpayers
    assert table.get((None, None)).amount == sum(
        p.tax.balance_owed for p in population.people if p.tax
    )
    settings = StatisticsSettings(noise=0, cache_ttl_s=0, tax_ttl_s=0, tax_refresh_ahead=False)
    expiring = StatisticsService(gw.sources, gw.index, settings)
    await expiring.exact("tax_balances", StatisticsFilter())
    await expiring.exact("tax_balances", StatisticsFilter())
    assert expiring.passes("tax")[0] == 2


async def test_an_expired_tax_scan_is_served_while_a_new_one_runs(
    stats_gateway: StatsGateway,
) -> None:
    """With refresh-ahead, an expired scan answers at once and a background pass replaces it."""
    gw = stats_gateway.service
    settings = StatisticsSettings(noise=0, cache_ttl_s=0, tax_ttl_s=0, tax_refresh_ahead=True)
    service = StatisticsService(gw.sources, gw.index, settings)
    try:
        first = await service.rows("tax")
        again = await service.rows("tax")
        assert again is first
        for _ in range(600):
            if service.passes("tax")[0] == 2:
                break
            await asyncio.sleep(0.05)
        assert service.passes("tax")[0] == 2
        assert service.upstream_calls["tax"] == service.passes("tax")[1]
    finally:
        await service.aclose()


async def test_cross_department_measure_matches_the_population(
    stats_gateway: StatsGateway,
) -> None:
    """People with an unpaid notice and an active claim, joined through the index, are the
    people the population holds so (clean data links exactly)."""
    population = stats_gateway.running.population
    truth = sum(
        1
        for p in population.people
        if any(n.status in ("OPEN", "CHARGE_CERTIFICATE") for n in p.penalty_notices)
        and any(c.status == "A" for c in p.benefits)
    )
    table = await stats_gateway.service.exact(
        "unpaid_penalty_and_active_benefit", StatisticsFilter()
    )
    assert table.get((None, None)).people == truth


async def test_renewal_measure_matches_the_population(stats_gateway: StatsGateway) -> None:
    """People whose passport and a vehicle's tax or MOT run out in the same window."""
    population = stats_gateway.running.population
    low, high = "2026-01", "2027-12"

    def inside(day: Any) -> bool:
        return day is not None and low <= _month(day) <= high

    truth = sum(
        1
        for p in population.people
        if p.passport
        and inside(p.passport.expiry_date)
        and p.licence
        and any(inside(v.tax_expiry) or inside(v.mot_expiry) for v in p.vehicles)
    )
    table = await stats_gateway.service.exact(
        "passport_and_vehicle_renewals", StatisticsFilter.of(low, high)
    )
    assert truth > 0
    assert table.get((None, None)).people == truth
