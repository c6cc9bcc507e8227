"""Numeric storage: zoned decimal (with overpunched or separate sign), packed decimal, binary.

Each ``*_decoder`` returns a function ``(record, offset) -> int | Decimal | None`` that raises
:class:`FieldDecodeError` for bytes that are not a valid value; all LOW-VALUES (and all spaces
for zoned fields) decode to ``None``. Each ``encode_*`` turns a value back into bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from legacy_connectors.flatfile.codec.codepages import CodePage
from legacy_connectors.flatfile.errors import FieldDecodeError

__all__ = [
    "Decoder",
    "binary_decoder",
    "encode_binary",
    "encode_packed",
    "encode_zoned",
    "packed_decoder",
    "scaled",
    "unscaled",
    "zoned_decoder",
    "zoned_tables",
]

Decoder = Callable[[bytes, int], Any]
_TRUNCATED = "record ends inside the field"
_EXACT = 10**28
"""Below this, ``scaleb`` in the default 28-digit context is exact (and faster)."""


def scaled(value: int, scale: int) -> Decimal:
    """``value * 10 ** -scale`` as an exact Decimal with that exponent."""
    if -_EXACT < value < _EXACT:
        return Decimal(value).scaleb(-scale)
    return Decimal(f"{value}E{-scale}")


def unscaled(value: Any, scale: int, what: str) -> int:
    """The integer that ``value`` is at ``scale`` decimal places; an error if it would round."""
    number = Decimal(value) if not isinstance(value, Decimal) else value
    shifted = number.scaleb(scale)
    if shifted != shifted.to_integral_value():
        raise ValueError(f"{what}: {value} has more than {scale} decimal places")
    return int(shifted)


@cache
def zoned_tables(cp: CodePage) -> tuple[bytes, bytes, tuple[tuple[int, int] | None, ...]]:
    """(body digit bytes, translation to ASCII digits, (sign, digit) for an overpunched byte)."""
    to_ascii = bytearray(b"x" * 256)
    for d, byte in enumerate(cp.digits):
        to_ascii[byte] = 0x30 + d
    overpunch: list[tuple[int, int] | None] = [None] * 256
    for d, byte in enumerate(cp.digits):
        overpunch[byte] = (1, d)
    if cp.is_ebcdic:
        for zone, sign in ((0xC, 1), (0xA, 1), (0xE, 1), (0xD, -1), (0xB, -1)):
            for d in range(10):
                overpunch[(zone << 4) | d] = (sign, d)
    else:
        for d, ch in enumerate("{ABCDEFGHI"):
            overpunch[ord(ch)] = (1, d)
        for d, ch in enumerate("}JKLMNOPQR"):
            overpunch[ord(ch)] = (-1, d)
        for d in range(10):
            overpunch[0x70 + d] = (-1, d)
    return cp.digits, bytes(to_ascii), tuple(overpunch)


def zoned_decoder(
    cp: CodePage,
    size: int,
    scale: int,
    signed: bool,
    leading: bool,
    separate: bool,
    decimal: bool,
) -> Decoder:
    """Decoder for a DISPLAY numeric field of ``size`` bytes."""
    _digits, to_ascii, overpunch = zoned_tables(cp)
    nulls = bytes(size)
    spaces = bytes([cp.space]) * size

    def finish(value: int) -> Any:
        return scaled(value, scale) if decimal else value

    def parse(b: bytes) -> Any:
        if separate:
            sign_byte, body = (b[0], b[1:]) if leading else (b[-1], b[:-1])
            if sign_byte == cp.plus:
                sign = 1
            elif sign_byte == cp.minus:
                sign = -1
            else:
                raise FieldDecodeError(f"bad separate sign byte 0x{sign_byte:02X}")
            text = body.translate(to_ascii)
            if not text.isdigit():
                raise FieldDecodeError("non-digit in a numeric field")
            return finish(sign * int(text))
        sign_byte, body = (b[0], b[1:]) if leading else (b[-1], b[:-1])
        sd = overpunch[sign_byte]
        text = body.translate(to_ascii)
        if body and not text.isdigit():
            raise FieldDecodeError("non-digit in a numeric field")
        if sd is None:
            raise FieldDecodeError(f"bad sign or digit byte 0x{sign_byte:02X}")
        sign, digit = sd
        if sign < 0 and not signed:
            raise FieldDecodeError("negative sign in an unsigned field")
        rest = int(text) if body else 0
        value = digit * 10 ** len(body) + rest if leading else rest * 10 + digit
        return finish(-value if sign < 0 else value)

    def slow(b: bytes) -> Any:
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        if b in (nulls, spaces):
            return None
        stripped = b.strip(spaces[:1])
        return parse(stripped or b)

    if separate or leading or size == 1:

        def decode_general(rec: bytes, pos: int) -> Any:
            b = rec[pos : pos + size]
            try:
                return parse(b) if len(b) == size else slow(b)
            except FieldDecodeError:
                return slow(b)

        return decode_general

    def decode_trailing(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        text = b[:-1].translate(to_ascii)
        if text.isdigit() and len(b) == size:
            sd = overpunch[b[-1]]
            if sd is not None and (signed or sd[0] > 0):
                value = int(text) * 10 + sd[1]
                return -value if sd[0] < 0 else value
        return slow(b)

    if not decimal:
        return decode_trailing
    dec = Decimal
    exact = size <= 28

    def decode_trailing_decimal(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        text = b[:-1].translate(to_ascii)
        if text.isdigit() and len(b) == size and exact:
            sd = overpunch[b[-1]]
            if sd is not None and (signed or sd[0] > 0):
                value = int(text) * 10 + sd[1]
                return dec(-value if sd[0] < 0 else value).scaleb(-scale)
        return slow(b)

    return decode_trailing_decimal


def encode_zoned(
    cp: CodePage,
    value: int,
    size: int,
    signed: bool,
    leading: bool,
    separate: bool,
) -> bytes:
    """Zoned decimal bytes for the integer ``value`` (already unscaled)."""
    ndigits = size - 1 if separate else size
    if value < 0 and not signed:
        raise ValueError(f"{value} is negative but the field is unsigned")
    text = str(abs(value)).rjust(ndigits, "0")
    if len(text) > ndigits:
        raise ValueError(f"{value} does not fit in {ndigits} digits")
    body = bytes(cp.digits[int(c)] for c in text)
    if separate:
        sign = bytes([cp.minus if value < 0 else cp.plus])
        return sign + body if leading else body + sign
    if not signed:
        return body
    where = 0 if leading else -1
    d = int(text[where])
    if cp.is_ebcdic:
        punched = ((0xD if value < 0 else 0xC) << 4) | d
    else:
        punched = ord(("}JKLMNOPQR" if value < 0 else "{ABCDEFGHI")[d])
    out = bytearray(body)
    out[where] = punched
    return bytes(out)


def packed_decoder(size: int, scale: int, signed: bool, decimal: bool) -> Decoder:
    """Decoder for a COMP-3 field of ``size`` bytes."""
    nulls = bytes(size)
    negative = "db" if signed else ""
    positive = "cfae"
    exact = size * 2 - 1 <= 28
    dec = Decimal

    def slow(b: bytes, s: str) -> Any:
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        if b == nulls:
            return None
        if s not in positive and s not in negative:
            raise FieldDecodeError(f"bad packed sign nibble {s.upper()}")
        raise FieldDecodeError("invalid packed decimal digit nibble")

    if decimal and exact:

        def decode_decimal(rec: bytes, pos: int) -> Any:
            b = rec[pos : pos + size]
            h = b.hex()
            d = h[:-1]
            s = h[-1:]
            if d.isdigit() and len(b) == size:
                if s in positive:
                    return dec(d).scaleb(-scale)
                if s and s in negative:
                    return dec(-int(d)).scaleb(-scale)
            return slow(b, s)

        return decode_decimal

    def decode(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        h = b.hex()
        d = h[:-1]
        s = h[-1:]
        if d.isdigit() and len(b) == size:
            if s in positive:
                value = int(d)
            elif s and s in negative:
                value = -int(d)
            else:
                return slow(b, s)
            return scaled(value, scale) if decimal else value
        return slow(b, s)

    return decode


def encode_packed(value: int, size: int, signed: bool) -> bytes:
    """Packed decimal bytes for the integer ``value`` (already unscaled)."""
    if value < 0 and not signed:
        raise ValueError(f"{value} is negative but the field is unsigned")
    text = str(abs(value)).rjust(size * 2 - 1, "0")
    if len(text) > size * 2 - 1:
        raise ValueError(f"{value} does not fit in {size} packed bytes")
    sign = ("d" if value < 0 else "c") if signed else "f"
    return bytes.fromhex(text + sign)


def binary_decoder(size: int, scale: int, signed: bool, decimal: bool, order: str) -> Decoder:
    """Decoder for a binary (COMP, COMP-4, COMP-5, COMP-9) field of ``size`` bytes."""
    big = order == "big"

    def decode(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        value = int.from_bytes(b, "big" if big else "little", signed=signed)
        return scaled(value, scale) if decimal else value

    return decode


def encode_binary(value: int, size: int, signed: bool, order: str) -> bytes:
    """Binary bytes for the integer ``value`` (already unscaled)."""
    try:
        return value.to_bytes(size, "big" if order == "big" else "little", signed=signed)
    except OverflowError as exc:
        raise ValueError(f"{value} does not fit in {size} binary bytes") from exc
