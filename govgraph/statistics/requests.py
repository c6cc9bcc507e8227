"""Table requests and the catalogue they are checked against (from the department declarations).

A request names a measure, conditions defining the population and up to three dimensions, all
as ``department.name`` from the departments' ``statistics`` declarations, plus the dimensions
every person has (``age_band``, ``postcode_area``, ``council``, ``region``, read from the
citizen index). Anything else is a :class:`TableRequestError` that says what to change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from govgraph.departments import (
    Department,
    SavedTable,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
)
from govgraph.statistics.filters import add_months

__all__ = [
    "AGE_BANDS",
    "MAX_DIMENSIONS",
    "PERSON_DIMENSIONS",
    "Catalogue",
    "ConditionRequest",
    "SavedPart",
    "SavedPlan",
    "TableRequest",
    "TableRequestError",
]

MAX_DIMENSIONS = 3
MAX_MONTHS = 36
MAX_MONTHS_AHEAD = 24
AGE_BANDS = ("0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
PERSON_DIMENSIONS = {
    "age_band": "Age band on the day the table is computed (from the citizen's date of birth).",
    "postcode_area": "Postcode area of the citizen's address (its leading letters).",
    "council": "Local authority of the citizen's address (from its postcode area).",
    "region": "Region of the citizen's address (from its postcode area).",
}
"""Dimensions every citizen has, from the citizen index's display identity."""
OTHER = "OTHER"
UNKNOWN = "UNKNOWN"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class TableRequestError(ValueError):
    """A table request the builder cannot answer (the message says what to change)."""


@dataclass(frozen=True, slots=True)
class ConditionRequest:
    """One condition of a request: ``department.name``, with its chosen values or months."""

    name: str
    values: tuple[str, ...] = ()
    months: int | None = None


@dataclass(frozen=True, slots=True)
class TableRequest:
    """A table: ``measure`` over the people meeting every condition, by up to three dimensions."""

    by: tuple[str, ...] = ()
    where: tuple[ConditionRequest, ...] = ()
    measure: str = "people"
    from_month: str | None = None
    to_month: str | None = None

    def canonical(self) -> dict[str, object]:
        """The request as plain, order-independent data (for the ledger and the answer key)."""
        return {
            "measure": self.measure,
            "by": list(self.by),
            "where": sorted(
                (
                    {"condition": c.name, "values": sorted(c.values), "months": c.months}
                    for c in self.where
                ),
                key=lambda c: orjson.dumps(c, option=orjson.OPT_SORT_KEYS),
            ),
            "fromMonth": self.from_month,
            "toMonth": self.to_month,
        }

    def text(self) -> str:
        return orjson.dumps(self.canonical(), option=orjson.OPT_SORT_KEYS).decode()

    def key(self, day: str) -> str:
        """Where the answer published on ``day`` is kept."""
        return hashlib.sha256(f"{day}|{self.text()}".encode()).hexdigest()

    def months(self) -> list[str]:
        """The months of the request's range, in order (empty without one)."""
        if self.from_month is None or self.to_month is None:
            return []
        out, month = [], self.from_month
        while month <= self.to_month:
            out.append(month)
            month = add_months(month, 1)
        return out


@dataclass(frozen=True, slots=True)
class Part:
    """What a checked request needs of one department."""

    department: Department
    conditions: list[tuple[StatisticsCondition, ConditionRequest]] = field(default_factory=list)
    dimensions: list[StatisticsDimension] = field(default_factory=list)
    measure: StatisticsMeasure | None = None


@dataclass(frozen=True, slots=True)
class SavedPart:
    """What a named table needs of one department."""

    department: Department
    dimensions: list[StatisticsDimension] = field(default_factory=list)
    conditions: list[StatisticsCondition] = field(default_factory=list)
    dated: list[str] = field(default_factory=list)
    """Date fields the month range applies to (a record is in it when any of them is)."""
    placed: list[str] = field(default_factory=list)
    """Postcode fields the postcode areas apply to."""


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """A named table checked against the catalogue: its lead department and its parts."""

    table: SavedTable
    lead: Department
    parts: dict[str, SavedPart]


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked request: its parts per department and each dimension's categories."""

    request: TableRequest
    parts: dict[str, Part]
    categories: list[tuple[str, ...]]
    """Categories of each dimension, in the request's order (a closed, public list)."""
    dimension_owner: list[str | None]
    """The department of each dimension (``None`` for a person dimension)."""
    contributions: int
    """Most cells one person counts in."""
    bound: int
    """Most one person adds to one cell."""

    @property
    def sensitivity(self) -> int:
        return self.contributions * self.bound


class Catalogue:
    """Every dimension, condition and measure the declared departments offer."""

    def __init__(self, departments: Iterable[Department], areas: dict[str, tuple[str, str]]):
        self.departments = {d.id: d for d in departments}
        self.areas = areas
        """Postcode area to (council, region)."""
        self.dimensions: dict[str, tuple[Department | None, StatisticsDimension | None]] = {
            name: (None, None) for name in PERSON_DIMENSIONS
        }
        self.conditions: dict[str, tuple[Department, StatisticsCondition]] = {}
        self.measures: dict[str, tuple[Department, StatisticsMeasure]] = {}
        self.labelled: dict[str, tuple[Department, StatisticsDimension]] = {}
        """Dimensions whose categories are the data's own labels (no closed list): named
        tables only, never a table request."""
        self.saved: dict[str, SavedPlan] = {}
        """Named tables (saved table requests), by name, checked against the catalogue."""
        for d in self.departments.values():
            spec = d.statistics
            for dim in spec.breakdowns:
                if dim.by == "value" and not dim.values:
                    self.labelled[f"{d.id}.{dim.name}"] = (d, dim)
                else:
                    self.dimensions[f"{d.id}.{dim.name}"] = (d, dim)
            for cond in spec.conditions:
                self.conditions[f"{d.id}.{cond.name}"] = (d, cond)
            for m in spec.sums:
                self.measures[f"{d.id}.{m.name}"] = (d, m)
        for d in self.departments.values():
            for table in d.statistics.tables:
                if table.name in self.saved:
                    raise ValueError(
                        f"department {d.id!r}: statistics table {table.name!r} is declared twice; "
                        "rename one"
                    )
                self.saved[table.name] = self.saved_parts(table)

    def dimension(self, name: str) -> tuple[Department, StatisticsDimension] | None:
        """A department's dimension, closed or labelled (``None`` for an unknown name or a
        person dimension)."""
        owner, dim = self.dimensions.get(name, (None, None))
        if owner is not None and dim is not None:
            return owner, dim
        return self.labelled.get(name)

    def saved_parts(self, table: SavedTable) -> SavedPlan:
        """What named table ``table`` needs of each department (a ``ValueError`` naming the
        table and the key when it names something the catalogue lacks)."""

        def fail(key: str, name: str, expected: str) -> ValueError:
            return ValueError(
                f"statistics table {table.name!r}: `{key}` names {name!r}, which is not {expected}"
            )

        dims: list[tuple[Department, StatisticsDimension]] = []
        for name in (*table.rows, *([table.column] if table.column else [])):
            found = self.dimension(name)
            if found is None:
                raise fail("rows" if name in table.rows else "column", name, "a dimension")
            dims.append(found)
        lead = dims[0][0] if dims else None
        if lead is None or any(d.id != lead.id for d, _ in dims):
            raise ValueError(
                f"statistics table {table.name!r}: `rows` and `column` must name dimensions of "
                "one department"
            )
        parts: dict[str, SavedPart] = {lead.id: SavedPart(lead)}
        parts[lead.id].dimensions.extend(dim for _, dim in dims)
        for name in table.where:
            found_c = self.conditions.get(name)
            if found_c is None or found_c[1].choices or found_c[1].months_ahead:
                raise fail("where", name, "a condition taking no values or months")
            d, cond = found_c
            parts.setdefault(d.id, SavedPart(d)).conditions.append(cond)
        for name in table.dated:
            found_d = self.dimension(name)
            found_c = self.conditions.get(name)
            if found_d is not None and found_d[1].by == "month":
                d, field_name = found_d[0], found_d[1].field
            elif found_c is not None and found_c[1].months_ahead:
                d, field_name = found_c[0], found_c[1].field
            else:
                raise fail("dated", name, "a dimension by month or a condition over months")
            parts.setdefault(d.id, SavedPart(d)).dated.append(field_name)
        for name in table.placed:
            found_p = self.dimension(name)
            if found_p is None or found_p[1].by != "area":
                raise fail("placed", name, "a dimension by postcode area")
            parts.setdefault(found_p[0].id, SavedPart(found_p[0])).placed.append(found_p[1].field)
        return SavedPlan(table, lead, parts)

    def area_categories(self) -> tuple[str, ...]:
        return (*sorted(self.areas), OTHER)

    def person_categories(self, name: str) -> tuple[str, ...]:
        if name == "age_band":
            return (*AGE_BANDS, UNKNOWN)
        if name == "postcode_area":
            return self.area_categories()
        index = 0 if name == "council" else 1
        return (*sorted({v[index] for v in self.areas.values()}), OTHER)

    def check(self, request: TableRequest, max_cells: int) -> Plan:
        """The plan of ``request``, or a :class:`TableRequestError` saying what to change."""
        if len(request.by) > MAX_DIMENSIONS:
            raise TableRequestError(
                f"`by`: at most {MAX_DIMENSIONS} dimensions, got {len(request.by)} "
                f"({', '.join(request.by)}); remove {len(request.by) - MAX_DIMENSIONS}"
            )
        if len(set(request.by)) != len(request.by):
            raise TableRequestError(f"`by`: a dimension is named twice in {list(request.by)}")
        self._check_months(request)
        parts: dict[str, Part] = {}

        def part(d: Department) -> Part:
            return parts.setdefault(d.id, Part(d))

        for cond in request.where:
            found = self.conditions.get(cond.name)
            if found is None:
                raise TableRequestError(
                    f"`where`: unknown condition {cond.name!r}; expected one of "
                    f"{', '.join(sorted(self.conditions))}"
                )
            d, spec = found
            _check_condition(cond, spec)
            part(d).conditions.append((spec, cond))
        categories: list[tuple[str, ...]] = []
        owners: list[str | None] = []
        contributions = 1
        for name in request.by:
            owner, dim = self.dimensions.get(name, (None, None))
            if name not in self.dimensions:
                raise TableRequestError(
                    f"`by`: unknown dimension {name!r}; expected one of "
                    f"{', '.join(sorted(self.dimensions))}"
                )
            if owner is None or dim is None:
                categories.append(self.person_categories(name))
                owners.append(None)
                continue
            part(owner).dimensions.append(dim)
            owners.append(owner.id)
            contributions *= owner.statistics.max_values
            if dim.by == "month":
                if not request.months():
                    raise TableRequestError(
                        f"`by`: {name!r} is by month; give `fromMonth` and `toMonth`"
                    )
                categories.append((*request.months(), OTHER))
            elif dim.by == "area":
                categories.append(self.area_categories())
            else:
                categories.append((*dim.values, OTHER))
        bound = 1
        if request.measure != "people":
            found_m = self.measures.get(request.measure)
            if found_m is None:
                raise TableRequestError(
                    f"`measure`: unknown measure {request.measure!r}; expected `people` or one "
                    f"of {', '.join(sorted(self.measures))}"
                )
            d, m = found_m
            existing = part(d)
            parts[d.id] = Part(d, existing.conditions, existing.dimensions, m)
            bound = m.bound
        if not parts:
            raise TableRequestError(
                "`where`: give at least one condition (or a department's dimension or measure) "
                "to define the population"
            )
        cells = 1
        for values in categories:
            cells *= len(values)
        if cells > max_cells:
            raise TableRequestError(
                f"`by`: the table would have {cells} cells, more than {max_cells}; use fewer or "
                "coarser dimensions (e.g. `region` instead of `postcode_area`)"
            )
        return Plan(request, parts, categories, owners, contributions, bound)

    @staticmethod
    def _check_months(request: TableRequest) -> None:
        for name, value in (("fromMonth", request.from_month), ("toMonth", request.to_month)):
            if value is not None and not _MONTH.match(value):
                raise TableRequestError(f"`{name}` must be a month as YYYY-MM, got {value!r}")
        if (request.from_month is None) != (request.to_month is None):
            raise TableRequestError("give both `fromMonth` and `toMonth`, or neither")
        if request.from_month and request.to_month:
            if request.from_month > request.to_month:
                raise TableRequestError("`fromMonth` must not be after `toMonth`")
            if len(request.months()) > MAX_MONTHS:
                raise TableRequestError(f"the month range may span at most {MAX_MONTHS} months")


def _check_condition(cond: ConditionRequest, spec: StatisticsCondition) -> None:
    if spec.choices:
        if not cond.values:
            raise TableRequestError(
                f"`where`: {cond.name!r} needs `values`, some of {', '.join(spec.choices)}"
            )
        unknown = sorted(set(cond.values) - set(spec.choices))
        if unknown:
            raise TableRequestError(
                f"`where`: {cond.name!r} has no value {', '.join(unknown)}; expected some of "
                f"{', '.join(spec.choices)}"
            )
    elif cond.values:
        raise TableRequestError(f"`where`: {cond.name!r} takes no `values`; remove them")
    if spec.months_ahead:
        if cond.months is None or not 1 <= cond.months <= MAX_MONTHS_AHEAD:
            raise TableRequestError(
                f"`where`: {cond.name!r} needs `months`, from 1 to {MAX_MONTHS_AHEAD}, got "
                f"{cond.months}"
            )
    elif cond.months is not None:
        raise TableRequestError(f"`where`: {cond.name!r} takes no `months`; remove it")
