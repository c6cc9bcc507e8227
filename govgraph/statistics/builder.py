"""The table builder: a checked request computed where the data lives, then released with noise.

Each department named by a request is asked once: a source that aggregates itself runs one
``GROUP BY`` of its key and the request's dimensions under the request's conditions; a source
read in full passes (a batch file, a paged service) is read once per generation or
``tax_ttl_s`` and its cached rows are filtered in memory. Keys become citizens through the citizen
index, departments are joined on citizens, person dimensions come from the index's display
identity, and only the noisy cells (:mod:`govgraph.statistics.privacy`) leave.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from govgraph.departments import (
    Department,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsSpec,
)
from govgraph.statistics import cross
from govgraph.statistics.filters import add_months, month_of, postcode_area
from govgraph.statistics.privacy import margin, release
from govgraph.statistics.requests import (
    AGE_BANDS,
    OTHER,
    UNKNOWN,
    ConditionRequest,
    Part,
    Plan,
    TableRequest,
)
from govgraph.statistics.scanned import ScanCache
from legacy_connectors.aggregation import GroupBy, Where

if TYPE_CHECKING:
    from govgraph.statistics.service import StatisticsService

__all__ = ["Facts", "TableBuilder", "age_band", "meets", "month_label"]

Row = tuple[str, Mapping[str, Any]]


@dataclass(slots=True)
class Facts:
    """What one citizen (or key) has in one department under a request's conditions."""

    values: list[set[str]] = field(default_factory=list)
    records: int = 0
    amount: int = 0


def age_band(born: date | None, today: date) -> str:
    """The published age band of someone born on ``born``."""
    if born is None:
        return UNKNOWN
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for band in AGE_BANDS:
        low, _, high = band.partition("-")
        upper = int(high) if high else 10**6
        if int(low.rstrip("+")) <= age <= upper:
            return band
    return UNKNOWN


def month_label(value: Any) -> str | None:
    if isinstance(value, date):
        return month_of(value)
    text = str(value or "").strip()
    if len(text) >= 7 and text[4] == "-" and text[:4].isdigit():
        return text[:7]
    if len(text) == 8 and text.isdigit() and text != "00000000":
        return f"{text[:4]}-{text[4:6]}"
    return None


def _wheres(
    conditions: Sequence[tuple[StatisticsCondition, ConditionRequest]], today: date
) -> list[Where]:
    out: list[Where] = []
    this_month = month_of(today)
    for spec, asked in conditions:
        if spec.months_ahead and asked.months is not None:
            out.append(
                Where(spec.field, months=(this_month, add_months(this_month, asked.months - 1)))
            )
        elif spec.choices:
            out.append(Where(spec.field, tuple(sorted(asked.values))))
        elif spec.values:
            out.append(Where(spec.field, spec.values))
        out.extend(Where(f, values) for f, values in spec.also)
    return out


def meets(row: Mapping[str, Any], where: Where) -> bool:
    value = row.get(where.field)
    if where.months is not None:
        month = month_label(value)
        return month is not None and where.months[0] <= month <= where.months[1]
    if where.by == "area":
        return postcode_area(str(value or "")) in where.values
    return str(value if value is not None else "") in where.values


def _named(department: str, held: tuple[object, float]) -> str:
    """One department's pass as :meth:`TableBuilder.data` names it."""
    version, taken_at = held
    if isinstance(version, tuple) and any(v is not None for v in version):
        return f"{department}=" + "/".join(str(v) for v in version)
    return f"{department}@{taken_at:.6f}"


class TableBuilder:
    """Computes exact table cells for checked requests (never published as they are)."""

    def __init__(self, service: StatisticsService) -> None:
        self.service = service
        self._scans: dict[str, ScanCache[Row]] = {}
        self._exact: dict[str, tuple[float, list[int], str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._published: dict[str, dict[str, Any]] = {}
        """Answers published today that this process has seen (the store keeps them all)."""

    async def aclose(self) -> None:
        for scan in self._scans.values():
            await scan.aclose()

    def _category(self, dim: StatisticsDimension, value: Any, months: Sequence[str]) -> str:
        if dim.by == "month":
            month = month_label(value)
            return month if month is not None and month in months else OTHER
        if dim.by == "area":
            area = postcode_area(str(value or ""))
            return area if area is not None and area in self.service.catalogue.areas else OTHER
        text = str(value if value is not None else "")
        return text if text in dim.values else OTHER

    async def _rows(
        self, d: Department, on_records: Callable[[int], None] | None = None
    ) -> list[Row]:
        spec = d.statistics
        read = spec.read
        assert read is not None
        source = self.service.source(d.source_name)
        scan = self._scans.get(d.id)
        if scan is None:
            scan = self._scans[d.id] = ScanCache[Row](
                lambda key, record: (key, read(record)),
                self.service.settings.tax_ttl_s,
                refresh_ahead=self.service.settings.tax_refresh_ahead,
                on_page=lambda: self.service.count(d.source_name),
                on_pass=lambda: self.service.passed(d.id),
            )
        version = await self._version(d)
        settings = self.service.settings
        batch = settings.tax_page_size if source.kind == "soap" else settings.scan_batch
        fields = spec.reads or None
        return await scan.rows(lambda: source.read_pages(batch, fields), version, on_records)

    async def _version(self, d: Department) -> tuple[Any, Any, Any]:
        """The data ``d``'s source serves now, as far as it says (a batch file's name,
        generation and record count; nothing for a paged service, whose passes expire)."""
        facts = (await self.service.source(d.source_name).health()).facts
        return (facts.get("file"), facts.get("generation"), facts.get("record_count"))

    async def data(self, plan: Plan) -> str | None:
        """The data the plan's departments read in full passes hold now, as text naming the same
        data on every replica: a batch file by its name, generation and record count, a paged
        service by when its pass was taken. ``None`` while one of them has no pass, or a newer
        batch file is served than its pass read: the answer must be computed. A pass older
        than ``tax_ttl_s`` is renewed first (with ``tax_refresh_ahead`` in the background: the
        old pass, and answers from it, stand until the new one is in)."""
        named: list[str] = []
        for d_id in sorted(plan.parts):
            d = plan.parts[d_id].department
            if d.statistics.read is None:
                continue
            scan = self._scans.get(d.id)
            held = None if scan is None else scan.held
            if scan is None or held is None:
                return None
            version, _taken_at = held
            if isinstance(version, tuple) and any(v is not None for v in version):
                if await self._version(d) != version:
                    return None
            elif scan.expired():
                await self._rows(d)
                held = scan.held
                if held is None:
                    return None
            named.append(_named(d.id, held))
        return ";".join(named)

    async def _keys(
        self,
        part: Part,
        request: TableRequest,
        used: dict[str, tuple[object, float]] | None = None,
    ) -> dict[str, Facts]:
        """Each key of the department with a record meeting the part's conditions (``used``
        gets what the pass it read came from, for a department read in full passes)."""
        d = part.department
        spec: StatisticsSpec = d.statistics
        today = self.service.today()
        wheres = _wheres(part.conditions, today)
        months = request.months()
        dims = part.dimensions
        measure = part.measure
        out: dict[str, Facts] = {}
        if spec.read is not None:
            rows = await self._rows(d)
            held = self._scans[d.id].held
            if used is not None and held is not None:
                used[d.id] = held
            for key, row in rows:
                if not all(meets(row, w) for w in wheres):
                    continue
                facts = out.get(key)
                if facts is None:
                    facts = out[key] = Facts([set() for _ in dims])
                for i, dim in enumerate(dims):
                    facts.values[i].add(self._category(dim, row.get(dim.field), months))
                facts.records += 1
                if measure is not None and measure.field:
                    facts.amount += int(row.get(measure.field) or 0)
            return out
        source = self.service.source(d.source_name)
        if not dims and measure is None:
            # Only who is in the population: the source's distinct keys (no group per key).
            keys = await source.distinct_keys(where=wheres, collection=spec.collection)
            self.service.count(d.source_name, source.member_count)
            for raw in keys:
                key = str(raw or "").strip()
                if key:
                    out[key] = Facts([])
            return out
        groups = [GroupBy(spec.key_field), *(GroupBy(dim.field, dim.by) for dim in dims)]
        sums = [measure.field] if measure is not None and measure.field else []
        found = await source.aggregate(
            group_by=groups, where=wheres, sums=sums, collection=spec.collection
        )
        self.service.count(d.source_name, source.member_count)
        for agg in found:
            key = str(agg.groups[0] or "").strip()
            if not key:
                continue
            facts = out.get(key)
            if facts is None:
                facts = out[key] = Facts([set() for _ in dims])
            for i, dim in enumerate(dims):
                facts.values[i].add(self._category(dim, agg.groups[i + 1], months))
            facts.records += agg.records
            if sums:
                facts.amount += int(agg.sums[0])
        return out

    async def _citizens(
        self, part: Part, request: TableRequest, used: dict[str, tuple[object, float]]
    ) -> dict[str, Facts]:
        keys = await self._keys(part, request, used)
        citizens = await cross.citizens_for(self.service, part.department.source_name, sorted(keys))
        out: dict[str, Facts] = {}
        for key, citizen in citizens.items():
            facts = keys[key]
            mine = out.get(citizen)
            if mine is None:
                out[citizen] = Facts([set(v) for v in facts.values], facts.records, facts.amount)
                continue
            for i, values in enumerate(facts.values):
                mine.values[i] |= values
            mine.records += facts.records
            mine.amount += facts.amount
        return out

    async def exact(self, plan: Plan) -> tuple[list[int], str]:
        """The exact cells of ``plan``, in the order of the categories' product, and the data
        they were computed from (:meth:`data`); cached for ``cache_ttl_s`` while that data is
        still what the departments hold.

        The computation is shared by every request asking the same table (and cached), so its
        upstream calls run under each source's own ``timeout_s``, not one request's deadline."""
        text = plan.request.text()
        ttl = self.service.settings.cache_ttl_s

        async def kept() -> tuple[list[int], str] | None:
            found = self._exact.get(text)
            if found is None or time.monotonic() - found[0] >= ttl:
                return None
            return (found[1], found[2]) if found[2] == await self.data(plan) else None

        hit = await kept()
        if hit is not None:
            return hit
        async with self._locks.setdefault(text, asyncio.Lock()):
            hit = await kept()
            if hit is not None:
                return hit
            # Shared between callers: its source calls carry no request's scope or deadline.
            used: dict[str, tuple[object, float]] = {}
            cells = await self._compute(plan, used)
            data = ";".join(_named(d_id, used[d_id]) for d_id in sorted(used))
            self._exact[text] = (time.monotonic(), cells, data)
            if len(self._exact) > 256:
                oldest = min(self._exact, key=lambda k: self._exact[k][0])
                del self._exact[oldest]
            return cells, data

    async def _compute(self, plan: Plan, used: dict[str, tuple[object, float]]) -> list[int]:
        parts = list(plan.parts.values())
        per_part = await asyncio.gather(*(self._citizens(p, plan.request, used) for p in parts))
        population = set(per_part[0])
        for found in per_part[1:]:
            population &= set(found)
        by_department = {p.department.id: found for p, found in zip(parts, per_part, strict=True)}
        profiles = await self._profiles(plan, sorted(population))
        today = self.service.today()
        areas = self.service.catalogue.areas
        positions = [{c: i for i, c in enumerate(cats)} for cats in plan.categories]
        strides = [1] * len(plan.categories)
        for i in range(len(plan.categories) - 2, -1, -1):
            strides[i] = strides[i + 1] * len(plan.categories[i + 1])
        size = 1
        for cats in plan.categories:
            size *= len(cats)
        cells = [0] * size
        dim_index: dict[str, int] = {}
        for d_id in by_department:
            dim_index[d_id] = 0
        measure_part = next((p for p in parts if p.measure is not None), None)
        for citizen in population:
            chosen: list[list[str]] = []
            seen: dict[str, int] = dict.fromkeys(by_department, 0)
            for name, owner in zip(plan.request.by, plan.dimension_owner, strict=True):
                if owner is None:
                    chosen.append([self._person(name, profiles.get(citizen), today, areas)])
                    continue
                facts = by_department[owner][citizen]
                values = sorted(facts.values[seen[owner]]) or [OTHER]
                seen[owner] += 1
                limit = plan.parts[owner].department.statistics.max_values
                chosen.append(values[:limit])
            weight = 1
            if measure_part is not None and measure_part.measure is not None:
                facts = by_department[measure_part.department.id][citizen]
                raw = facts.amount if measure_part.measure.field else facts.records
                weight = min(max(raw, 0), plan.bound)
            for combo in itertools.product(*chosen):
                index = sum(positions[i][c] * strides[i] for i, c in enumerate(combo))
                cells[index] += weight
        return cells

    def _person(self, name: str, profile: Any, today: date, areas: Mapping[str, Any]) -> str:
        if name == "age_band":
            return age_band(getattr(profile, "date_of_birth", None), today)
        area = postcode_area(getattr(profile, "postcode", None))
        if area is None or area not in areas:
            return OTHER
        if name == "postcode_area":
            return area
        return str(areas[area][0 if name == "council" else 1])

    async def _profiles(self, plan: Plan, citizens: list[str]) -> dict[str, Any]:
        if all(owner is not None for owner in plan.dimension_owner):
            return {}
        out: dict[str, Any] = {}
        for start in range(0, len(citizens), cross.CHUNK):
            out.update(await self.service.index.profiles(citizens[start : start + cross.CHUNK]))
            self.service.count("index")
        return out

    async def answer(self, plan: Plan, analyst: str) -> dict[str, Any]:
        """The published answer to ``plan``: today's if it was already published (free), else
        a fresh release charged to ``analyst``'s budget."""
        service = self.service
        day = service.today().isoformat()
        budgets = service.budgets
        data = await self.data(plan)
        if data is not None:
            key = plan.request.key(f"{day}|{data}")
            kept = self._published.get(key) or await budgets.answer(key)
            if kept is not None:
                self._remember(key, kept)
                return {**kept, "charged": 0.0}
        cells, data = await self.exact(plan)
        key = plan.request.key(f"{day}|{data}")
        kept = self._published.get(key) or await budgets.answer(key)
        if kept is not None:
            self._remember(key, kept)
            return {**kept, "charged": 0.0}
        cost = service.settings.epsilon
        await budgets.spend(analyst, cost, service.settings.budget)
        noisy = release(cells, plan.sensitivity, cost)
        labels = list(itertools.product(*plan.categories))
        published = {
            "dimensions": list(plan.request.by),
            "measure": plan.request.measure,
            "cells": [
                {"labels": list(lab), "value": max(0, v)}
                for lab, v in zip(labels, noisy.values, strict=True)
            ],
            "total": max(0, sum(noisy.values)),
            "epsilon": noisy.epsilon,
            "scale": noisy.scale,
            "margin95": margin(noisy.scale),
            "publishedOn": day,
        }
        kept = await budgets.publish(key, analyst, published)
        self._remember(key, kept)
        return {**kept, "charged": cost}

    def _remember(self, key: str, answer: dict[str, Any]) -> None:
        if len(self._published) >= 1024:
            self._published.pop(next(iter(self._published)))
        self._published[key] = answer
