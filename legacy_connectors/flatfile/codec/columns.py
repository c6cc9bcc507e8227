"""Vectorised field kernels: one field of a block of records (rows of bytes) to a numpy column.

Each kernel reads ``rows[:, offset:offset + size]`` (``rows`` is an ``(n, record size)``
``uint8`` array) and returns the column plus an ``ok`` mask of the rows it decoded itself. The
other rows (blanks, odd signs, bad bytes) are left to the per-field scalar decoder, the
reference, so the column always equals what decoding record by record gives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.codepages import CodePage

__all__ = [
    "EPOCH_ORDINAL",
    "MAX_FAST_DIGITS",
    "binary_column",
    "date_days",
    "packed_column",
    "text_column",
    "zoned_column",
]

Rows = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

MAX_FAST_DIGITS = 18
"""Digits that always fit an int64; wider fields are decoded by the scalar decoder."""
EPOCH_ORDINAL = 719163
"""``date(1970, 1, 1).toordinal()``: dates are kept as days since 1970-01-01."""
_BAD = 0xFF


@cache
def _zoned_luts(cp: CodePage) -> tuple[Rows, npt.NDArray[np.int8], Rows]:
    """(digit of each byte or 0xFF, sign of each overpunched byte or 0, its digit)."""
    digit = np.full(256, _BAD, dtype=np.uint8)
    for d, byte in enumerate(cp.digits):
        digit[byte] = d
    sign = np.zeros(256, dtype=np.int8)
    punched = np.full(256, _BAD, dtype=np.uint8)
    for d, byte in enumerate(cp.digits):
        sign[byte], punched[byte] = 1, d
    if cp.is_ebcdic:
        for zone, s in ((0xC, 1), (0xA, 1), (0xE, 1), (0xD, -1), (0xB, -1)):
            for d in range(10):
                sign[(zone << 4) | d], punched[(zone << 4) | d] = s, d
    else:
        for d, ch in enumerate("{ABCDEFGHI"):
            sign[ord(ch)], punched[ord(ch)] = 1, d
        for d, ch in enumerate("}JKLMNOPQR"):
            sign[ord(ch)], punched[ord(ch)] = -1, d
        for d in range(10):
            sign[0x70 + d], punched[0x70 + d] = -1, d
    return digit, sign, punched


def _digits_value(digits: Rows) -> tuple[Ints, Mask]:
    """The integer each column of decimal digits (0-9, or 0xFF for a bad byte) spells:
    ``digits`` is ``(k, n)``, one row per digit position, so each step works on contiguous
    memory."""
    k, n = digits.shape
    ok: Mask = digits.max(axis=0) <= 9 if k else np.ones(n, dtype=np.bool_)
    value = np.zeros(n, dtype=np.int64)
    for j in range(k):
        value *= 10
        value += digits[j]
    return value, ok


_BYTES_LOW = np.uint64(0x0F0F0F0F0F0F0F0F)
_BYTES_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_BYTES_SIX = np.uint64(0x0606060606060606)
_PAIRS = np.uint64(0x00FF00FF00FF00FF)
_QUADS = np.uint64(0x0000FFFF0000FFFF)
_HALF = np.uint64(0xFFFFFFFF)
_SWAR_DIGITS = 16


def _zone(cp: CodePage) -> int | None:
    """The high nibble every digit byte of the code page shares (``0xF`` in EBCDIC, ``0x3`` in
    ASCII) when each digit's low nibble is its value; None otherwise."""
    zone = cp.digits[0] >> 4
    return zone if cp.digits == bytes((zone << 4) | d for d in range(10)) else None


def _swar_value(body: Rows, zone: int) -> tuple[Ints, Mask]:
    """The integer that each row of up to 16 digit bytes spells, eight bytes at a time as one
    unsigned 64-bit word (SWAR: pairs, then quads, then halves combined in three multiply-adds),
    and ``ok`` where every byte is a digit of the code page."""
    n, k = body.shape
    width = 8 if k <= 8 else 16
    padded = np.empty((n, width), dtype=np.uint8)
    padded[:, : width - k] = zone << 4
    padded[:, width - k :] = body
    words = padded.view("<u8")
    high = np.uint64(zone * 0x1111111111111111 & 0xF0F0F0F0F0F0F0F0)
    value = np.zeros(n, dtype=np.uint64)
    ok = np.ones(n, dtype=np.bool_)
    for c in range(width // 8):
        x = words[:, c]
        ok &= (x & _BYTES_HIGH) == high
        v = x & _BYTES_LOW
        ok &= ((v + _BYTES_SIX) & _BYTES_HIGH) == 0
        v = (v * np.uint64(10) + (v >> np.uint64(8))) & _PAIRS
        v = (v * np.uint64(100) + (v >> np.uint64(16))) & _QUADS
        v = (v * np.uint64(10000) + (v >> np.uint64(32))) & _HALF
        value = value * np.uint64(10**8) + v if c else v
    return value.astype(np.int64), ok


def _body_value(body: Rows, cp: CodePage) -> tuple[Ints, Mask]:
    zone = _zone(cp)
    if zone is not None and 0 < body.shape[1] <= _SWAR_DIGITS:
        return _swar_value(body, zone)
    digit = _zoned_luts(cp)[0]
    return _digits_value(digit[body.T])


def zoned_column(
    rows: Rows,
    offset: int,
    size: int,
    cp: CodePage,
    *,
    signed: bool,
    leading: bool,
    separate: bool,
) -> tuple[Ints, Mask]:
    """Unscaled values of a zoned decimal field; ``ok`` only where every byte is a clean digit
    and the sign is one the record-by-record decoder takes at once."""
    _digit, sign_of, punched = _zoned_luts(cp)
    field = rows[:, offset : offset + size]
    if separate:
        sign_byte = field[:, 0] if leading else field[:, -1]
        body = field[:, 1:] if leading else field[:, :-1]
        value, ok = _body_value(body, cp)
        negative = sign_byte == cp.minus
        ok &= negative | (sign_byte == cp.plus)
        return np.where(negative, -value, value), ok
    sign_byte = field[:, 0] if leading else field[:, -1]
    body = field[:, 1:] if leading else field[:, :-1]
    value, ok = _body_value(body, cp)
    sign = sign_of[sign_byte]
    last = punched[sign_byte].astype(np.int64)
    ok &= sign != 0
    if not signed:
        ok &= sign > 0
    value = last * 10 ** (size - 1) + value if leading else value * 10 + last
    return np.where(sign < 0, -value, value), ok


_POSITIVE = np.zeros(16, dtype=np.bool_)
_POSITIVE[[0xA, 0xC, 0xE, 0xF]] = True
_NEGATIVE = np.zeros(16, dtype=np.bool_)
_NEGATIVE[[0xB, 0xD]] = True


def packed_column(rows: Rows, offset: int, size: int, *, signed: bool) -> tuple[Ints, Mask]:
    """Values of a COMP-3 field; ``ok`` where every digit nibble is 0-9 and the sign valid."""
    field = np.ascontiguousarray(rows[:, offset : offset + size].T)
    high = field >> 4
    low = field & 0x0F
    n = field.shape[1]
    ok: Mask = high.max(axis=0) <= 9
    if size > 1:
        ok &= low[:-1].max(axis=0) <= 9
    value = np.zeros(n, dtype=np.int64)
    for j in range(size - 1):
        value *= 100
        value += high[j] * np.uint8(10) + low[j]
    value *= 10
    value += high[-1]
    sign = low[-1]
    negative = _NEGATIVE[sign] if signed else np.zeros(n, dtype=np.bool_)
    ok &= _POSITIVE[sign] | negative
    return np.where(negative, -value, value), ok


def binary_column(
    rows: Rows, offset: int, size: int, *, signed: bool, big: bool
) -> tuple[Ints, Mask]:
    """Values of a 1, 2, 4 or 8-byte binary field; unsigned 8-byte values above the int64
    range are left to the scalar decoder."""
    field = np.ascontiguousarray(rows[:, offset : offset + size])
    kind = "i" if signed else "u"
    raw = field.view(f"{'>' if big else '<'}{kind}{size}").reshape(-1)
    n = raw.shape[0]
    if not signed and size == 8:
        ok: Mask = raw < np.uint64(2**63)
        return np.where(ok, raw, 0).astype(np.int64), ok
    return raw.astype(np.int64), np.ones(n, dtype=np.bool_)


@cache
def _text_luts(cp: CodePage) -> tuple[npt.NDArray[np.uint32], int]:
    """(code point of each byte as Python decodes it, the one byte that decodes to NUL or -1)."""
    chars = bytes(range(256)).decode(cp.codec, "replace")
    points = np.array([ord(c) for c in chars], dtype=np.uint32)
    nuls = [i for i, c in enumerate(chars) if c == "\x00"]
    return points, nuls[0] if len(nuls) == 1 else -1


def text_column(
    rows: Rows, offset: int, size: int, cp: CodePage, trim: str
) -> tuple[npt.NDArray[Any], Mask, Mask]:
    """(text as a numpy unicode array, LOW-VALUES rows, ok): trimmed as ``str.strip`` would
    (numpy's string functions strip the same whitespace as Python's); rows with a NUL character
    (which numpy and Arrow do not keep) are not ok."""
    field = np.ascontiguousarray(rows[:, offset : offset + size])
    points, nul = _text_luts(cp)
    codes = np.take(points, field)
    zero = field == nul if nul >= 0 else codes == 0
    n = field.shape[0]
    if zero.any():
        zero_count = np.count_nonzero(zero, axis=1)
        nulls: Mask = zero_count == size
        ok: Mask = zero_count == 0
    else:
        nulls, ok = np.zeros(n, dtype=np.bool_), np.ones(n, dtype=np.bool_)
    text = codes.view(f"<U{size}").reshape(-1)
    if trim in _STRIP:
        text = _STRIP[trim](text)
    return text, nulls, ok | nulls


_STRIP: dict[str, Callable[[npt.NDArray[Any]], npt.NDArray[Any]]] = {
    "both": np.strings.strip,
    "right": np.strings.rstrip,
    "left": np.strings.lstrip,
}


def _days_from_civil(year: Ints, month: Ints, day: Ints) -> Ints:
    """Days since 1970-01-01 of proleptic Gregorian dates (vectorised, all int64)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: Ints = era * 146097 + doe - 719468
    return days


def _leap(year: Ints) -> Mask:
    leap: Mask = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return leap


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def date_days(value: Ints, fmt: str, pivot: int = 50) -> tuple[Ints, Mask, Mask]:
    """(days since 1970-01-01, no-date rows (zero), valid) of numbers stored in layout ``fmt``,
    with the rules of :func:`~legacy_connectors.flatfile.codec.dates.number_to_date`."""
    zero: Mask = value == 0
    v = np.where(value > 0, value, 0)
    if fmt in ("YYYYMMDD", "CYYMMDD", "YYMMDD"):
        if fmt == "YYYYMMDD":
            year = v // 10000
        elif fmt == "CYYMMDD":
            year = 1900 + v // 10000
        else:
            yy = v // 10000 % 100
            year = np.where(yy < pivot, 2000, 1900) + yy
        month = v // 100 % 100
        day = v % 100
        good = (month >= 1) & (month <= 12) & (year >= 1) & (year <= 9999) & (day >= 1)
        limit = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & _leap(year))
        good &= day <= limit
        days = _days_from_civil(year, np.where(good, month, 1), np.where(good, day, 1))
    else:
        yy = v // 1000 % 100
        if fmt == "CYYDDD":
            year = (19 + v // 100000) * 100 + yy
        else:
            year = np.where(yy < pivot, 2000, 1900) + yy
        doy = v % 1000
        good = (year >= 1) & (year <= 9999) & (doy >= 1) & (doy <= 365 + _leap(year))
        days = _days_from_civil(year, np.ones_like(year), np.ones_like(year)) + doy - 1
    valid: Mask = (value > 0) & good
    return np.where(valid, days, 0), zero, valid | zero
