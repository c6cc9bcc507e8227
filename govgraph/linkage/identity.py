"""The common identity every source's records are mapped to, normalised once for comparison."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from govgraph.linkage.nicknames import name_family, name_forms

__all__ = ["Identity", "parse_date", "split_forenames"]

_NOT_LETTERS = re.compile(r"[^A-Z]")
_SPACES = re.compile(r"\s+")


def _name(value: str) -> str:
    return sys.intern(_NOT_LETTERS.sub("", value.upper()))


@lru_cache(maxsize=1 << 16)
def _mids(middle_names: str) -> tuple[str, ...]:
    """The normalised middle names (one shared tuple per distinct text)."""
    return tuple(m for m in (_name(x) for x in middle_names.split()) if m)


def parse_date(value: object) -> date | None:
    """A date from a ``date``, a ``datetime``, an ISO string or a ``YYYYMMDD`` int or string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        value = f"{value:08d}"
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 8 and text.isdigit():
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def split_forenames(forenames: str) -> tuple[str, str]:
    """``"John Paul"`` -> (``"John"``, ``"Paul"``): the given name and the middle names."""
    parts = forenames.split()
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


@dataclass(slots=True)
class Identity:
    """One record's identity in a common form, with normalised fields for comparison."""

    source: str
    key: str
    surname: str
    given_name: str
    middle_names: str
    date_of_birth: date | None
    sex: str
    postcode: str
    address_lines: tuple[str, ...]
    town: str
    licence_number: str = ""
    held: tuple[tuple[str, str], ...] = ()
    """Other identifiers the record carries, as (identifier, normalised value) pairs."""
    sn: str = field(init=False)
    gn: str = field(init=False)
    forms: frozenset[str] = field(init=False)
    family: frozenset[str] = field(init=False)
    mids: tuple[str, ...] = field(init=False)
    pc: str = field(init=False)
    outward: str = field(init=False)
    line1: str = field(init=False)

    def __post_init__(self) -> None:
        self.sn = _name(self.surname)
        self.gn = _name(self.given_name)
        self.forms = name_forms(self.gn)
        self.family = name_family(self.gn)
        self.mids = _mids(self.middle_names)
        self.pc = _SPACES.sub(" ", self.postcode.upper().strip())
        if self.pc and " " not in self.pc and len(self.pc) > 4:
            self.pc = f"{self.pc[:-3]} {self.pc[-3:]}"
        self.pc = sys.intern(self.pc)
        self.outward = sys.intern(self.pc.split(" ")[0]) if self.pc else ""
        first = self.address_lines[0] if self.address_lines else ""
        self.line1 = sys.intern(_SPACES.sub(" ", first.upper().replace(",", " ")).strip())
        self.sex = sys.intern(self.sex.upper()[:1]) if self.sex else ""

    @property
    def dob_block(self) -> tuple[int, int, int] | None:
        """Year with day and month unordered: the same for a date and its day/month swap."""
        d = self.date_of_birth
        if d is None:
            return None
        return (d.year, min(d.day, d.month), max(d.day, d.month))

    @property
    def exact_key(self) -> tuple[str, date, str] | None:
        """Surname, date of birth and postcode: the exact rule's key."""
        if not (self.sn and self.date_of_birth and self.pc):
            return None
        return (self.sn, self.date_of_birth, self.pc)
