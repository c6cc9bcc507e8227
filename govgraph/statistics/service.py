"""The statistics engine: named tables computed where the data lives, cached, then protected.

``StatisticsService`` is long-lived (one per gateway). Each table is computed from exact
tallies by the source that holds the data (SQL ``GROUP BY``; one pass over the benefits file
per generation; one pass over the tax service per ``tax_ttl_s``), or across departments by
mapping department keys to citizens through the citizen index. Only
:class:`~govgraph.statistics.disclosure.PublishedTable` values leave it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from govgraph.departments import Department, all_departments
from govgraph.sources import Source
from govgraph.statistics import cross
from govgraph.statistics.budget import BudgetStore
from govgraph.statistics.builder import TableBuilder
from govgraph.statistics.disclosure import Protection, PublishedTable, protect
from govgraph.statistics.filters import StatisticsFilter, add_months, month_of
from govgraph.statistics.requests import Catalogue, TableRequest
from govgraph.statistics.scanned import (
    BenefitRow,
    ScanCache,
    TaxRow,
    benefit_row,
    tax_row,
)
from govgraph.statistics.settings import StatisticsSettings
from govgraph.statistics.sqltables import label, sql_table
from govgraph.statistics.tables import Accumulator, Table
from legacy_connectors.aggregation import GroupBy, Where

__all__ = ["TABLES", "StatisticsService", "UnknownTable"]

TABLES = (
    "benefit_claims",
    "penalty_notices",
    "passport_expiries",
    "tax_balances",
    "unpaid_penalty_and_active_benefit",
    "passport_and_vehicle_renewals",
)
"""Every table the engine publishes."""

UNPAID = ("OPEN", "CHARGE_CERTIFICATE")
RENEWAL_WINDOW_MONTHS = 6
MAX_CACHED = 512
"""Most (table, filter) results kept at once."""


class UnknownTable(LookupError):
    """No table has this name."""


class StatisticsService:
    """Computes, caches and protects the published tables."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        index: Any,
        settings: StatisticsSettings | None = None,
        *,
        metrics: Any = None,
        today: Callable[[], date] = date.today,
        store_url: str | None = None,
        departments: list[Department] | None = None,
    ) -> None:
        self.settings = settings or StatisticsSettings()
        self.sources = sources
        self.index = index
        self.metrics = metrics
        self.today = today
        secret = self.settings.secret.encode() if self.settings.secret else os.urandom(32)
        self.protection = Protection(
            threshold=self.settings.threshold,
            noise=self.settings.noise,
            amount_noise=self.settings.amount_noise,
            secret=secret,
        )
        self.benefits = ScanCache[BenefitRow](
            benefit_row, None, on_page=lambda: self.count(self.settings.benefits)
        )
        self.tax = ScanCache[TaxRow](
            tax_row,
            self.settings.tax_ttl_s,
            refresh_ahead=self.settings.tax_refresh_ahead,
            on_page=lambda: self.count(self.settings.tax),
        )
        self.catalogue = Catalogue(
            departments if departments is not None else all_departments(),
            {a: (v.council, v.region) for a, v in self.settings.areas.items()},
        )
        """Every dimension, condition and measure of the table builder."""
        url = self.settings.store_url or store_url or "sqlite+aiosqlite:///:memory:"
        self.budgets = BudgetStore(url)
        """Analysts' privacy budgets and the answers published today."""
        self.builder = TableBuilder(self)
        self.upstream_calls: dict[str, int] = {}
        """Calls made to each source by the engine (statements, pages, index reads)."""
        self._exact: dict[tuple[str, Any], tuple[float, Table]] = {}
        self._locks: dict[tuple[str, Any], asyncio.Lock] = {}
        self._published: dict[tuple[str, Any], tuple[Table, Table | None, PublishedTable]] = {}
        self._builders: dict[str, Callable[[StatisticsFilter], Awaitable[Table]]] = {
            "benefit_claims": self._benefit_claims,
            "penalty_notices": self._penalty_notices,
            "passport_expiries": self._passport_expiries,
            "tax_balances": self._tax_balances,
            "unpaid_penalty_and_active_benefit": self._unpaid_and_benefit,
            "passport_and_vehicle_renewals": self._renewals,
        }

    async def aclose(self) -> None:
        """Stop background passes (call when the gateway shuts down)."""
        await self.tax.aclose()
        await self.benefits.aclose()
        await self.builder.aclose()
        await self.budgets.aclose()

    def count(self, source: str, calls: int = 1) -> None:
        """Record ``calls`` upstream calls made to ``source`` (a source's own calls are also
        counted in the gateway's metrics by the source itself; the index's only here)."""
        self.upstream_calls[source] = self.upstream_calls.get(source, 0) + calls
        if self.metrics is not None and source not in self.sources:
            self.metrics.upstream_calls.labels(source=source).inc(calls)

    async def build(self, request: TableRequest, analyst: str) -> dict[str, Any]:
        """The published answer to a table-builder ``request`` (checked first: a
        :class:`~govgraph.statistics.requests.TableRequestError` says what to change), charged
        to ``analyst``'s privacy budget unless already published today."""
        plan = self.catalogue.check(request, self.settings.max_cells)
        return await self.builder.answer(plan, analyst)

    async def table(self, name: str, flt: StatisticsFilter) -> PublishedTable:
        """Table ``name`` under ``flt``, after disclosure control."""
        if name not in self._builders:
            raise UnknownTable(f"table: expected one of {', '.join(TABLES)}, got {name!r}")
        exact = await self.exact(name, flt)
        unfiltered = None if flt.empty else await self.exact(name, StatisticsFilter())
        key = (name, flt.key())
        found = self._published.get(key)
        if found is not None and found[0] is exact and found[1] is unfiltered:
            return found[2]
        published = protect(exact, self.protection, unfiltered)
        self._published[key] = (exact, unfiltered, published)
        return published

    async def exact(self, name: str, flt: StatisticsFilter) -> Table:
        """The exact tallies of table ``name`` (cached for ``cache_ttl_s``); never publish these."""
        key = (name, flt.key())
        found = self._exact.get(key)
        ttl = self.settings.cache_ttl_s
        if found is not None and time.monotonic() - found[0] < ttl:
            return found[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._exact.get(key)
            if found is not None and time.monotonic() - found[0] < ttl:
                return found[1]
            table = await self._builders[name](flt)
            self._exact[key] = (time.monotonic(), table)
            self._evict()
            return table

    def _evict(self) -> None:
        """Keep at most ``MAX_CACHED`` tables: the oldest go first."""
        if len(self._exact) <= MAX_CACHED:
            return
        oldest = sorted(self._exact, key=lambda k: self._exact[k][0])
        for key in oldest[: len(self._exact) - MAX_CACHED]:
            del self._exact[key]
            self._published.pop(key, None)
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]

    def source(self, name: str) -> Source:
        """The configured source ``name`` (its capabilities carry the gateway's policy)."""
        return self.sources[name]

    async def benefit_rows(self) -> list[BenefitRow]:
        """Every claim's statistics row, from one pass over the file's current generation."""
        source = self.sources[self.settings.benefits]
        facts = (await source.health()).facts
        version = (facts.get("file"), facts.get("generation"), facts.get("record_count"))
        return await self.benefits.rows(lambda: source.scan(self.settings.scan_batch), version)

    async def tax_rows(self) -> list[TaxRow]:
        """Every taxpayer's statistics row, from one paged scan of the service per ``tax_ttl_s``."""
        source = self.sources[self.settings.tax]
        return await self.tax.rows(lambda: source.scan(self.settings.tax_page_size))

    async def _benefit_claims(self, flt: StatisticsFilter) -> Table:
        acc = Accumulator("benefit_claims", ("benefit",), "status", amount=True)
        for row in await self.benefit_rows():
            if flt.area_in(row.area) and flt.month_in(row.start_month):
                acc.add((row.benefit,), row.status, row.nino, row.amount)
        return acc.table()

    async def _tax_balances(self, flt: StatisticsFilter) -> Table:
        acc = Accumulator("tax_balances", ("band",), None, amount=True)
        for row in await self.tax_rows():
            if flt.area_in(row.area):
                acc.add((row.band,), None, row.nino, row.balance)
        return acc.table()

    def _where(self, flt: StatisticsFilter, date_field: str, postcode: str) -> list[Where]:
        where = []
        if flt.months is not None:
            where.append(Where(date_field, months=flt.months))
        if flt.postcode_areas:
            where.append(Where(postcode, flt.postcode_areas, by="area"))
        return where

    async def _penalty_notices(self, flt: StatisticsFilter) -> Table:
        name = self.settings.parking
        source = self.source(name)
        table, statements = await sql_table(
            source,
            "penalty_notices",
            [
                GroupBy(source.member_field or "authority"),
                GroupBy("contravention_code"),
            ],
            GroupBy("issued_at", "month"),
            self._where(flt, "issued_at", "keeper_postcode"),
            amount="amount",
        )
        self.count(name, statements)
        table.row_dims, table.col_dim = ("council", "contravention"), "month"
        return table

    async def _passport_expiries(self, flt: StatisticsFilter) -> Table:
        name = self.settings.passports
        table, statements = await sql_table(
            self.source(name),
            "passport_expiries",
            [GroupBy("expiry_date", "month")],
            None,
            self._where(flt, "expiry_date", "postcode"),
        )
        self.count(name, statements)
        table.row_dims = ("month",)
        return table

    async def _unpaid_and_benefit(self, flt: StatisticsFilter) -> Table:
        claimants = {
            row.nino: row.area
            for row in await self.benefit_rows()
            if row.status == "ACTIVE" and flt.area_in(row.area)
        }
        where = [Where("status", UNPAID)]
        if flt.months is not None:
            where.append(Where("issued_at", months=flt.months))
        parking = self.settings.parking
        vehicles = await cross.keys_where(self, parking, where)
        people = await cross.citizens_in_both(
            self, (self.settings.benefits, claimants), (parking, vehicles)
        )
        acc = Accumulator("unpaid_penalty_and_active_benefit", ("area",), None, amount=False)
        for citizen, area in people.items():
            acc.add((label(area),), None, citizen)
        return acc.table()

    def window(self, flt: StatisticsFilter) -> tuple[str, str]:
        """The renewal window: the filter's months, or this month and the next five."""
        start = flt.from_month or month_of(self.today())
        end = flt.to_month or add_months(start, RENEWAL_WINDOW_MONTHS - 1)
        return start, end

    async def _renewals(self, flt: StatisticsFilter) -> Table:
        window = self.window(flt)
        passports, vehicles = self.settings.passports, self.settings.vehicles
        where = [Where("expiry_date", months=window)]
        if flt.postcode_areas:
            where.append(Where("postcode", flt.postcode_areas, by="area"))
        holders = await cross.keys_where(
            self, passports, where, group_by=GroupBy("postcode", "area")
        )
        keepers: dict[str, Any] = {}
        for field in ("tax_expiry", "mot_expiry"):
            keepers.update(
                await cross.keys_where(
                    self, vehicles, [Where(field, months=window)], collection="vehicles"
                )
            )
        people = await cross.citizens_in_both(self, (passports, holders), (vehicles, keepers))
        acc = Accumulator("passport_and_vehicle_renewals", ("area",), None, amount=False)
        for citizen, area in people.items():
            acc.add((label(area),), None, citizen)
        return acc.table()
