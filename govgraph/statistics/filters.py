"""The filters an analyst may apply: a range of whole months and a set of postcode areas.

Filters are deliberately coarse: they select whole cells of the published lattice (a month, a
postcode area), never a day or a street, so no filter can single out a smaller group than a
published cell does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["FilterError", "StatisticsFilter", "add_months", "month_of", "postcode_area"]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_AREA = re.compile(r"^[A-Z]{1,2}$")
MAX_AREAS = 50


class FilterError(ValueError):
    """A filter value is malformed (the message names the field, what was expected and got)."""


def month_of(day: date) -> str:
    """``YYYY-MM`` of ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, count: int) -> str:
    """``month`` (``YYYY-MM``) moved by ``count`` months."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def postcode_area(postcode: str | None) -> str | None:
    """The area of a postcode: its leading letters (``SW`` of ``SW1A 1AA``)."""
    letters = ""
    for char in (postcode or "").strip().upper():
        if not char.isalpha():
            break
        letters += char
    return letters[:2] or None


@dataclass(frozen=True, slots=True)
class StatisticsFilter:
    """Whole months ``from_month`` to ``to_month`` (inclusive) and postcode areas."""

    from_month: str | None = None
    to_month: str | None = None
    postcode_areas: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        from_month: str | None = None,
        to_month: str | None = None,
        postcode_areas: list[str] | tuple[str, ...] | None = None,
    ) -> StatisticsFilter:
        """A validated, canonical filter (areas upper-cased, sorted and unique)."""
        for name, value in (("fromMonth", from_month), ("toMonth", to_month)):
            if value is not None and not _MONTH.match(value):
                raise FilterError(f"`{name}` must be a month as YYYY-MM, got {value!r}")
        if from_month and to_month and from_month > to_month:
            raise FilterError(
                f"`fromMonth` must not be after `toMonth`, got {from_month} and {to_month}"
            )
        areas = sorted({a.strip().upper() for a in postcode_areas or ()})
        for area in areas:
            if not _AREA.match(area):
                raise FilterError(
                    f"`postcodeAreas` must hold postcode areas (one or two letters, e.g. SW), "
                    f"got {area!r}"
                )
        if len(areas) > MAX_AREAS:
            raise FilterError(f"`postcodeAreas` may hold at most {MAX_AREAS}, got {len(areas)}")
        return cls(from_month, to_month, tuple(areas))

    @property
    def empty(self) -> bool:
        return self.from_month is None and self.to_month is None and not self.postcode_areas

    @property
    def months(self) -> tuple[str, str] | None:
        """The month range, open ends widened to the earliest and latest possible month."""
        if self.from_month is None and self.to_month is None:
            return None
        return (self.from_month or "0001-01", self.to_month or "9999-12")

    def month_in(self, month: str | None) -> bool:
        bounds = self.months
        if bounds is None:
            return True
        return month is not None and bounds[0] <= month <= bounds[1]

    def area_in(self, area: str | None) -> bool:
        return not self.postcode_areas or area in self.postcode_areas

    def key(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        return (self.from_month, self.to_month, self.postcode_areas)
