"""Write commands of a SQL source: statements built from a payload, in the legacy encodings.

A command is a list of ``insert``/``update`` statements run in one transaction together with a
row in a journal table keyed by the delivery id, so a command delivered twice is applied once.
Each stored value comes from a payload field, a constant or the current time, and is encoded
the way the legacy column stores it (the reverse of the read converters: padded text, integer
pence, CYYMMDD and YYYYMMDD dates, dates as formatted text, coded values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from legacy_connectors.errors import InvalidInputError
from legacy_connectors.payload import payload_value

__all__ = ["SqlCommand", "SqlStatement", "ValueSpec", "encode_value"]

EncoderName = Literal[
    "str", "char", "int", "decimal", "date", "datetime", "cyymmdd", "yyyymmdd", "code"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class ValueSpec(_Model):
    """Where one stored value comes from and how the legacy column encodes it."""

    field: str | None = None
    """Payload field (dotted path; a number selects a list item, e.g. ``address.lines.0``)."""
    value: Any = None
    """A constant, used when ``field`` and ``now`` are unset."""
    now: Literal["date", "datetime"] | None = None
    """The current date or time (UTC) instead of a payload value."""
    type: EncoderName = "str"
    """Encoding: ``str``, ``char``, ``int``, ``decimal`` (``scale`` 2 stores integer pence),
    ``date``/``datetime`` (native, or text with ``format``), ``cyymmdd``, ``yyyymmdd``,
    ``code`` (readable value to stored code through ``values``)."""
    format: str | None = None
    """For ``date``/``datetime``: a ``strftime`` format giving text. For other types: a
    ``str.format`` template applied last, e.g. ``"{:.2f}"``."""
    scale: int = Field(default=0, ge=0, le=6)
    """For ``decimal``: store an integer in units of 10**-scale (2 for pence)."""
    values: dict[str, str | int] | None = None
    """For ``code``: readable value to stored code."""
    slice: tuple[int, int] | None = None
    """Part of the text value to store, as ``[start, end]`` (Python slice bounds)."""
    pattern: str | None = None
    """Regular expression applied to the text value before encoding, with ``replace``."""
    replace: str = ""
    """Replacement for ``pattern``."""
    optional: bool = False
    """A missing payload field stores NULL instead of refusing the command."""

    @model_validator(mode="after")
    def _check(self) -> ValueSpec:
        if self.type == "code" and not self.values:
            raise ValueError("type 'code' needs 'values' (a map of readable value to code)")
        return self


class SqlStatement(_Model):
    """One ``insert`` or ``update`` of a command."""

    action: Literal["insert", "update"]
    """``insert`` a row, or ``update`` the rows ``where`` selects."""
    table: str
    """The legacy table."""
    db_schema: str | None = None
    """Database schema (namespace) of the table, when not the default."""
    values: dict[str, ValueSpec]
    """Column to value: the inserted row, or the columns an update sets."""
    where: dict[str, ValueSpec] = Field(default_factory=dict)
    """Column to value the updated rows must hold (a list value matches any of its items)."""
    expect_rows: int | Literal["any"] = 1
    """Rows an update must change, else the command is refused and nothing is written
    (``"any"``: any number, including none)."""

    @model_validator(mode="after")
    def _check(self) -> SqlStatement:
        if self.action == "update" and not self.where:
            raise ValueError("an update needs 'where' (it would change every row)")
        if self.action == "insert" and self.where:
            raise ValueError("an insert takes no 'where'")
        return self


class SqlCommand(_Model):
    """A write the source accepts: statements run in one transaction with a journal row."""

    statements: list[SqlStatement] = Field(default_factory=list)
    """Statements for every database (or the single database)."""
    by_mapping: dict[str, list[SqlStatement]] = Field(default_factory=dict)
    """Statements per mapping name, for a set of databases whose schemas differ."""
    database_field: str | None = None
    """Payload field naming the one database of a set the command targets (its ``name`` or
    ``label``); required for a set."""
    journal_table: str = "GG_DELIVERY_LOG"
    """Table of applied delivery ids (created when missing); a delivery id already there
    makes the command a ``DUPLICATE`` that changes nothing."""
    journal_key_field: str | None = None
    """Payload field recorded beside the delivery id (e.g. the notice number)."""

    @model_validator(mode="after")
    def _check(self) -> SqlCommand:
        if not self.statements and not self.by_mapping:
            raise ValueError("a command needs 'statements' or 'by_mapping'")
        return self


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def _encode_one(spec: ValueSpec, value: Any, column: str) -> Any:
    if spec.slice is not None:
        start, end = spec.slice
        value = str(value)[start:end]
    if spec.pattern:
        value = re.sub(spec.pattern, spec.replace, str(value))
    kind = spec.type
    if kind in ("str", "char"):
        out: Any = str(value)
    elif kind == "int":
        out = int(value)
    elif kind == "decimal":
        number = Decimal(str(value))
        out = (
            int((number.scaleb(spec.scale)).to_integral_value())
            if spec.scale
            else number.quantize(Decimal("0.01"))
        )
    elif kind in ("date", "datetime"):
        moment = _date(value) if kind == "date" else _datetime(value)
        return moment.strftime(spec.format) if spec.format else moment
    elif kind == "cyymmdd":
        day = _date(value)
        out = (day.year - 1900) // 100 * 1_000_000 + day.year % 100 * 10_000
        out += day.month * 100 + day.day
    elif kind == "yyyymmdd":
        day = _date(value)
        out = day.year * 10_000 + day.month * 100 + day.day
    else:
        assert spec.values is not None
        code = spec.values.get(str(value))
        if code is None:
            raise InvalidInputError(
                f"column {column!r}: expected one of {sorted(spec.values)}, got another value"
            )
        out = code
    return spec.format.format(out) if spec.format else out


def encode_value(spec: ValueSpec, payload: Mapping[str, Any], now: datetime, column: str) -> Any:
    """The stored form of ``spec``'s value for ``column`` (a list stays a list).

    Raises :class:`InvalidInputError` naming the column or payload field (never the value)
    when a field is missing or its value cannot be encoded.
    """
    if spec.now is not None:
        raw: Any = now.date() if spec.now == "date" else now.replace(tzinfo=None)
    elif spec.field is not None:
        try:
            raw = payload_value(payload, spec.field)
        except KeyError:
            if spec.optional:
                return None
            raise InvalidInputError(
                f"column {column!r}: payload field {spec.field!r} is missing"
            ) from None
    else:
        raw = spec.value
    if raw is None:
        return None
    try:
        if isinstance(raw, list | tuple):
            return [_encode_one(spec, item, column) for item in raw]
        return _encode_one(spec, raw, column)
    except (ValueError, TypeError, ArithmeticError, InvalidOperation) as exc:
        raise InvalidInputError(
            f"column {column!r}: expected a value of type {spec.type}, got {type(raw).__name__}"
        ) from exc
