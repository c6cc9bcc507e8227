"""Inline source for the common numeric storages, for the compiled record decoder's fast path.

:func:`inline_number` gives a test and the lines that decode a field at ``{p}`` into ``v``
when the test holds: trailing-sign zoned digits, packed decimal, binary, and on top of them the
``YYYYMMDD`` and ``CYYMMDD`` date layouts. The test holds only for bytes that the per-field
converter (the reference) would decode the same way at once; any other bytes (blanks, odd
signs, bad digits) go to that converter, so results are identical. The generated code runs
only for records at least as long as the layout; zoned fields read ``z``, the record through
:func:`digit_table` (each digit byte of the code page as its ASCII digit, no other byte an
ASCII digit).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from legacy_connectors.flatfile.codec.codepages import CodePage, code_page
from legacy_connectors.flatfile.codec.dates import date_converter
from legacy_connectors.flatfile.codec.numeric import zoned_tables
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.copybook.model import Field, Usage

__all__ = ["Inline", "digit_table", "inline_number", "latin1_table"]


class Inline(NamedTuple):
    """Source of one field's inline decode, with ``{p}`` for its position in ``rec``."""

    test: str | None
    """When the lines apply (None: always)."""
    lines: list[str]
    """Statements that set ``v``."""
    zoned: bool = False
    """True when they read ``z`` (and ``t``, when the caller offers it)."""


@cache
def latin1_table(cp: CodePage) -> bytes | None:
    """A ``bytes.translate`` table under which ``.decode('latin-1')`` gives what the code
    page's decoder (with ``errors='replace'``) gives, when every byte decodes to a Latin-1
    character and only the code page's digits become ASCII digits; None otherwise."""
    chars = bytes(range(256)).decode(cp.codec, "replace")
    try:
        table = chars.encode("latin-1")
    except UnicodeEncodeError:
        return None
    return table if _digits_only(table) == digit_table(cp) else None


def _digits_only(table: bytes) -> bytes:
    return bytes(c if 0x30 <= c <= 0x39 else 0x78 for c in table)


def digit_table(cp: CodePage) -> bytes:
    """A ``bytes.translate`` table: each digit byte of the code page to its ASCII digit, every
    other byte to ``x``."""
    return zoned_tables(cp)[1]


Const = Callable[[str, Any], str]
_EXACT_DIGITS = 28
"""Digits that ``Decimal`` multiplication keeps exactly in the default context."""
_STRUCT = {1: "b", 2: "h", 4: "i", 8: "q"}
_DATES = {
    "YYYYMMDD": "v // 10000",
    "CYYMMDD": "1900 + v // 10000",
}


def _zoned(node: Field, options: DecodeOptions, const: Const) -> Inline | None:
    pic, size = node.picture, node.size
    assert pic is not None
    if node.sign_separate or node.sign_leading or size < 2:
        return None
    if pic.is_decimal and size > _EXACT_DIGITS:
        return None
    if not pic.signed:
        test = f"(x := z[{{p}}:{{p}} + {size}]).isdigit()"
        return Inline(test, [f"v = {_scaled('int(x)', node, const)}"], zoned=True)
    _digits, _to_ascii, overpunch = zoned_tables(code_page(options.encoding))
    signs = const("TS", tuple(0 if sd is None else sd[0] * (sd[1] + 1) for sd in overpunch))
    last = size - 1
    test = f"(s := {signs}[rec[{{p}} + {last}]]) and (x := z[{{p}}:{{p}} + {last}]).isdigit()"
    value = "(int(x) * 10 + s - 1 if s > 0 else s + 1 - int(x) * 10)"
    return Inline(test, [f"v = {_scaled(value, node, const)}"], zoned=True)


def _packed(node: Field, const: Const) -> Inline | None:
    pic, size = node.picture, node.size
    assert pic is not None
    if pic.is_decimal and 2 * size - 1 > _EXACT_DIGITS:
        return None
    signs = "cfaedb" if pic.signed else "cfae"
    test = (
        f"(d := (x := rec[{{p}}:{{p}} + {size}].hex())[:-1]).isdigit() "
        f"and (s := x[-1]) in {signs!r}"
    )
    if pic.is_decimal:
        q = const("Q", _unit(pic.scale))
        return Inline(test, [f"v = D(d) * {q} if s in 'cfae' else D(-int(d)) * {q}"])
    return Inline(test, ["v = int(d) if s in 'cfae' else -int(d)"])


def _binary(node: Field, options: DecodeOptions, const: Const) -> Inline | None:
    pic, size = node.picture, node.size
    assert pic is not None
    if pic.is_decimal and size > 8:
        return None
    usage = node.usage
    if usage is Usage.BINARY_LE:
        order = "little"
    elif usage is Usage.NATIVE_BINARY:
        order = options.comp5_endian
    else:
        order = "big"
    if size in _STRUCT:
        code = _STRUCT[size] if pic.signed else _STRUCT[size].upper()
        unpack = const("U", struct.Struct((">" if order == "big" else "<") + code).unpack_from)
        value = f"{unpack}(rec, {{p}})[0]"
    else:
        value = f"FB(rec[{{p}}:{{p}} + {size}], {order!r}, signed={pic.signed})"
    return Inline(None, [f"v = {_scaled(value, node, const)}"])


def _scaled(value: str, node: Field, const: Const) -> str:
    assert node.picture is not None
    if not node.picture.is_decimal:
        return value
    return f"D({value}) * {const('Q', _unit(node.picture.scale))}"


def _unit(scale: int) -> Decimal:
    """``1E-scale``: multiplying an integral Decimal by it sets the exponent as ``scaleb``."""
    return Decimal(f"1E{-scale}")


def _iso_date(node: Field, usage: Usage, fmt: str | None, text: bool) -> bool:
    """True for an unsigned 8-digit zoned ``YYYYMMDD`` date whose digits ``t`` holds as text:
    ``date.fromisoformat`` reads those 8 digits as ``date(n // 10000, n // 100 % 100, n % 100)``
    does, and fails where it fails."""
    pic = node.picture
    return (
        usage is Usage.DISPLAY
        and fmt == "YYYYMMDD"
        and text
        and node.size == 8
        and pic is not None
        and not (node.sign_separate or node.sign_leading or pic.signed)
    )


def inline_number(
    node: Field, options: DecodeOptions, fmt: str | None, const: Const, *, text: bool
) -> Inline | None:
    """The inline decode of a numeric item (with date layout ``fmt``, if any), or None when it
    has none and the converter is called for every value. With ``text``, ``t`` is ``z``
    decoded as Latin-1 (its digits as ``str``)."""
    pic = node.picture
    if pic is None or pic.category != "numeric" or (fmt is not None and pic.is_decimal):
        return None
    usage = node.usage or Usage.DISPLAY
    if _iso_date(node, usage, fmt, text):
        converter = const("d", date_converter("YYYYMMDD"))
        lines = [
            "try:",
            "    v = DT.fromisoformat(t[{p}:{p} + 8])",
            "except ValueError:",
            f"    v = {converter}(int(x))",
        ]
        return Inline("(x := z[{p}:{p} + 8]).isdigit()", lines, zoned=True)
    found: Inline | None
    if usage is Usage.DISPLAY:
        found = _zoned(node, options, const)
    elif usage is Usage.PACKED:
        found = _packed(node, const)
    elif usage in (Usage.BINARY, Usage.NATIVE_BINARY, Usage.BINARY_LE):
        found = _binary(node, options, const)
    else:
        found = None
    if found is None or fmt is None:
        return found
    test, lines, zoned = found
    converter = const("d", date_converter(fmt))
    year = _DATES.get(fmt)
    if year is None:
        return Inline(test, [*lines, f"v = {converter}(v)"], zoned)
    body = [
        *lines,
        "if v > 0:",
        "    try:",
        f"        v = DT({year}, v // 100 % 100, v % 100)",
        "    except ValueError:",
        f"        v = {converter}(v)",
        "else:",
        f"    v = {converter}(v)",
    ]
    return Inline(test, body, zoned)
