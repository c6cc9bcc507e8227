"""A scanned (key, record) to the common :class:`Identity`, by the department's declaration.

Every department declares where its records keep the person's identity
(:class:`~govgraph.departments.IdentityMapping`); nothing here knows any department. A record
that lacks what linkage needs gives ``None`` and is counted as skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govgraph.departments import BUILTIN_IDENTIFIERS, Department, Identifier, first_at, values_at
from govgraph.linkage.identity import Identity, parse_date, split_forenames

__all__ = ["Attachment", "RecordMapper", "mappers"]

LICENCE = "licence"
"""The driving licence identifier, whose layout encodes the holder's surname, date of birth and
sex (compared as such)."""


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _word(value: Any) -> str:
    """:func:`_text`, one shared string per distinct text (names, towns and postcodes repeat
    across millions of records: one copy each instead of one per record)."""
    return sys.intern(str(value).strip()) if value is not None else ""


def _lines(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (sys.intern(value.strip()),) if value.strip() else ()
    if isinstance(value, Sequence):
        return tuple(_word(x) for x in value if _text(x))
    return ()


@dataclass(slots=True)
class Attachment:
    """A record that joins the citizen holding an identifier (e.g. a notice, by its VRM), with
    the names and postcode to check against that citizen."""

    source: str
    key: str
    identifier: str
    value: str
    surname: str
    forenames: str
    postcode: str


class RecordMapper:
    """Maps one department's records, as its identity mapping says."""

    def __init__(self, department: Department, identifiers: Mapping[str, Identifier]) -> None:
        mapping = department.identity
        assert mapping is not None
        self.department = department
        self.source = department.source_name
        self.mapping = mapping
        self.key_identifier = mapping.key
        self.attaches = mapping.attach_by is not None
        self._identifiers = identifiers
        self._shared: dict[Any, Any] = {}
        """One object per distinct date of birth and address, shared by the records that hold
        it (for this mapper's run)."""

    def _share(self, value: Any) -> Any:
        return self._shared.setdefault(value, value)

    def _held(self, record: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        for name, path in self.mapping.identifiers.items():
            if name == LICENCE:
                continue
            identifier = self._identifiers[name]
            for raw in values_at(record, path):
                value = identifier.clean(raw)
                if value is not None:
                    out.append((name, value))
        return tuple(out)

    def identity(self, key: str, record: Mapping[str, Any]) -> Identity | None:
        """The record's identity (``None`` if it has no date of birth)."""
        m = self.mapping
        if m.forenames:
            given, middle = split_forenames(_text(first_at(record, m.forenames)))
            given, middle = sys.intern(given), sys.intern(middle)
        else:
            given = _word(first_at(record, m.given_name))
            middle = _word(first_at(record, m.middle_names))
        licence = ""
        if LICENCE in m.identifiers:
            licence = _text(first_at(record, m.identifiers[LICENCE]))
        if not licence and m.key == LICENCE:
            licence = key
        identity = Identity(
            source=self.source,
            key=key,
            surname=_word(first_at(record, m.surname)),
            given_name=given,
            middle_names=middle,
            date_of_birth=self._share(parse_date(first_at(record, m.date_of_birth))),
            sex=_text(first_at(record, m.sex)),
            postcode=_word(first_at(record, m.postcode)),
            address_lines=self._share(_lines(first_at(record, m.address_lines))),
            town=_word(first_at(record, m.town)),
            licence_number=licence,
            held=self._held(record),
        )
        return identity if identity.date_of_birth is not None else None

    def attachment(self, key: str, record: Mapping[str, Any]) -> Attachment | None:
        """The record as an attachment by its ``attach_by`` identifier (``None`` without one)."""
        m = self.mapping
        name = m.attach_by
        assert name is not None
        identifier = self._identifiers[name]
        path = m.identifiers.get(name)
        raw = first_at(record, path) if path else None
        value = identifier.clean(raw or key)
        if value is None:
            return None
        forenames = first_at(record, m.forenames) if m.forenames else None
        return Attachment(
            source=self.source,
            key=key.strip() or value,
            identifier=name,
            value=value,
            surname=_text(first_at(record, m.surname)),
            forenames=_text(forenames if forenames is not None else first_at(record, m.given_name)),
            postcode=_text(first_at(record, m.postcode)),
        )


def mappers(departments: Iterable[Department]) -> dict[str, RecordMapper]:
    """A mapper per source of every department that declares an identity mapping."""
    out: dict[str, RecordMapper] = {}
    for department in departments:
        if department.identity is None:
            continue
        known = dict(BUILTIN_IDENTIFIERS)
        known.update({i.name: i for i in department.identifiers})
        out[department.source_name] = RecordMapper(department, known)
    return out
