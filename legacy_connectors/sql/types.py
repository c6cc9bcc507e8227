"""Type decorators that read legacy column encodings: padded text, CYYMMDD dates, coded values.

A value that cannot be decoded is returned as an :class:`Invalid` marker rather than raised, so
that one bad row fails its own key and never the whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlalchemy import types

from legacy_connectors.sql.settings import ColumnSpec, KeySpec

__all__ = ["Converted", "Invalid", "PaddedKey", "converter", "key_normaliser"]

Convert = Callable[[Any], Any]


class Invalid:
    """Marks a stored value that could not be decoded (why, without the value itself).

    ``created`` only ever grows: a reader that sees it unchanged across a batch knows no value
    of the batch was invalid and can skip looking for markers record by record.
    """

    __slots__ = ("reason",)
    created: ClassVar[int] = 0

    def __init__(self, reason: str) -> None:
        self.reason = reason
        Invalid.created += 1


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _cyymmdd(value: Any) -> date | None:
    number = int(value)
    if number == 0:
        return None
    century, rest = divmod(number, 1_000_000)
    yy, mmdd = divmod(rest, 10_000)
    mm, dd = divmod(mmdd, 100)
    return date(1900 + 100 * century + yy, mm, dd)


def _yyyymmdd(value: Any) -> date | None:
    text = _text(value).strip()
    if not text or text.strip("0") == "":
        return None
    number = int(text)
    return date(number // 10_000, number // 100 % 100, number % 100)


def _date(fmt: str | None) -> Convert:
    def convert(value: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value).strip()
        if not text:
            return None
        return datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)

    return convert


def _datetime(fmt: str | None) -> Convert:
    def convert(value: Any) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        text = _text(value).strip()
        if not text:
            return None
        return datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)

    return convert


def _decimal(scale: int) -> Convert:
    quantum = Decimal(1).scaleb(-max(scale, 2))

    def convert(value: Any) -> Decimal:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, Decimal):
            number = value
        else:
            number = Decimal(_text(value).strip())
        if scale:
            number = number.scaleb(-scale)
        return number.quantize(quantum)

    return convert


def _char(value: Any) -> str | None:
    text = (value if value.__class__ is str else _text(value)).rstrip()
    return text or None


def _code(values: dict[str, str], field: str) -> Convert:
    def convert(value: Any) -> str | Invalid:
        code = (value if value.__class__ is str else _text(value)).strip()
        found = values.get(code)
        if found is None:
            return Invalid(f"field {field!r}: code {code!r} is not in the mapping's values")
        return found

    return convert


def _base(spec: ColumnSpec, field: str) -> Convert:
    kind = spec.type
    if kind == "char":
        return _char
    if kind == "str":
        return _text
    if kind == "int":
        return int
    if kind == "decimal":
        return _decimal(spec.scale)
    if kind == "date":
        return _date(spec.format)
    if kind == "datetime":
        return _datetime(spec.format)
    if kind == "cyymmdd":
        return _cyymmdd
    if kind == "yyyymmdd":
        return _yyyymmdd
    assert spec.values is not None
    return _code(spec.values, field)


def converter(spec: ColumnSpec, field: str) -> Convert:
    """The function that decodes one stored value of ``spec``; ``None`` stays ``None``.

    It never raises: a value that cannot be decoded gives an :class:`Invalid` naming ``field``.
    """
    base = _base(spec, field)
    if spec.pattern:
        pattern, replace, plain = re.compile(spec.pattern), spec.replace, base

        def base(value: Any) -> Any:
            result = plain(value)
            return pattern.sub(replace, result) if isinstance(result, str) else result

    if spec.type == "char" and not spec.pattern:

        def convert_text(value: Any) -> Any:
            if value.__class__ is str:
                return value.rstrip() or None
            return None if value is None else _char(value)

        return convert_text

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return base(value)
        except (ValueError, TypeError, ArithmeticError, InvalidOperation) as exc:
            return Invalid(f"field {field!r}: expected {spec.type}, got {type(exc).__name__}")

    if spec.pattern:
        return convert
    if spec.type == "code":
        assert spec.values is not None
        return _fast_code(spec.values, convert)
    if spec.type == "cyymmdd":
        return _fast_cyymmdd(convert)
    return convert


def _fast_code(values: dict[str, str], slow: Convert) -> Convert:
    """Exact stored codes (and integer forms of numeric codes) in one lookup."""
    lookup: dict[Any, str] = dict(values)
    lookup.update({int(code): value for code, value in values.items() if code.isdigit()})

    def convert_code(value: Any) -> Any:
        found = lookup.get(value)
        return found if found is not None else slow(value)

    return convert_code


def _fast_cyymmdd(slow: Convert) -> Convert:
    """Positive integer CYYMMDD values decoded inline; everything else the general way."""

    def convert_cyymmdd(value: Any) -> Any:
        if value.__class__ is int and value > 0:
            try:
                return date(
                    1900 + value // 1_000_000 * 100 + value // 10_000 % 100,
                    value // 100 % 100,
                    value % 100,
                )
            except ValueError:
                return slow(value)
        return slow(value)

    return convert_cyymmdd


class Converted(types.TypeDecorator[Any]):
    """A legacy column read through a :class:`ColumnSpec` converter."""

    impl = types.NullType
    cache_ok = True

    def __init__(self, spec_json: str, field: str) -> None:
        super().__init__()
        self.spec_json = spec_json
        self.field = field
        self._convert = converter(ColumnSpec.model_validate_json(spec_json), field)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return self._convert(value)

    def result_processor(self, dialect: Any, coltype: Any) -> Convert:
        """The converter itself, called once per value with no wrapper in between."""
        return self._convert


class PaddedKey(types.TypeDecorator[str]):
    """A ``CHAR(n)`` key: compared padded to its width, read back without the padding."""

    impl = types.String
    cache_ok = True

    def __init__(self, length: int | None) -> None:
        super().__init__()
        self.length = length

    def load_dialect_impl(self, dialect: Any) -> types.TypeEngine[Any]:
        chosen: types.TypeEngine[Any] = types.CHAR(self.length) if self.length else types.String()
        return dialect.type_descriptor(chosen)  # type: ignore[no-any-return]

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str) and self.length:
            return value.ljust(self.length)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value.rstrip() if isinstance(value, str) else value


def key_normaliser(spec: KeySpec) -> Callable[[str], str]:
    """The function that brings a requested or stored key to the form both are matched in."""
    steps: list[Callable[[str], str]] = []
    for name in spec.transforms:
        if name == "strip":
            steps.append(str.strip)
        elif name == "upper":
            steps.append(str.upper)
        elif name == "lower":
            steps.append(str.lower)
        else:
            steps.append(lambda s: s.replace(" ", ""))
    if spec.pattern:
        pattern, replace = re.compile(spec.pattern), spec.replace
        steps.append(lambda s: pattern.sub(replace, s))

    def normalise(key: str) -> str:
        for step in steps:
            key = step(key)
        return key

    return normalise
