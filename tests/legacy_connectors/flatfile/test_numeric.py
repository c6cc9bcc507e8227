"""Zoned, packed and binary numbers at their edges, decoded and encoded against bytes computed
by hand: blanks, LOW-VALUES, bad signs, truncation, unsigned fields, zero and wide values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from legacy_connectors.flatfile import (
    DecodeOptions,
    RecordDecodeError,
    RecordEncoder,
    compile_decoder,
    decode_with_policy,
    encode_record,
    parse_copybook,
)


def _layout(clause: str) -> Any:
    return parse_copybook(f"       01 R.\n           05 F {clause}.\n           05 T PIC X.\n")


def _decode(clause: str, hexdata: str, encoding: str = "cp037") -> Any:
    """The value of F, decoded from hand-computed bytes followed by one text byte."""
    layout = _layout(clause).records[0]
    decoder = compile_decoder(layout, DecodeOptions(encoding=encoding))
    return decode_with_policy(decoder, bytes.fromhex(hexdata), "fail_record")["F"]


def _error(clause: str, hexdata: str, encoding: str = "cp037") -> RecordDecodeError:
    """The error of a bad F under ``fail_record``; also checks ``null_fields`` nulls F alone."""
    layout = _layout(clause).records[0]
    decoder = compile_decoder(layout, DecodeOptions(encoding=encoding))
    data = bytes.fromhex(hexdata)
    kept = decode_with_policy(decoder, data, "null_fields")
    assert kept["F"] is None and kept["_corrupt_fields"][0] == "F"
    with pytest.raises(RecordDecodeError) as caught:
        decode_with_policy(decoder, data, "fail_record")
    assert caught.value.field == "F"
    return caught.value


def _encode(clause: str, value: Any, encoding: str = "cp037") -> str:
    layout = _layout(clause).records[0]
    return encode_record(layout, {"F": value, "T": "X"}, encoding)[:-1].hex().upper()


@pytest.mark.parametrize(
    ("clause", "hexdata", "expected"),
    [
        ("PIC S9(3)V9", "40404040E7", None),  # blank
        ("PIC S9(3)V9", "00000000E7", None),  # LOW-VALUES
        ("PIC S9(3)V9", "4040F1C2E7", Decimal("1.2")),  # leading blanks, +12
        ("PIC S9(3)V9", "F1F2F3C4E7", Decimal("123.4")),
        ("PIC S9(3)V9", "F1F2F3D4E7", Decimal("-123.4")),
        ("PIC S9(3)V9", "F0F0F0D0E7", Decimal("0.0")),  # -0 is 0
        ("PIC 9(3)V9", "F1F2F3C4E7", Decimal("123.4")),  # unsigned with a C zone
        ("PIC 9(3)V9", "F1F2F3F4E7", Decimal("123.4")),
        ("PIC S9(29)V9", "F1" * 29 + "C2E7", Decimal("1" * 29 + ".2")),  # over 28 digits
        ("PIC S9(29)V9", "F1" * 29 + "D2E7", Decimal("-" + "1" * 29 + ".2")),
        ("PIC S9(3) SIGN LEADING", "D1F2F3E7", -123),
        ("PIC S9(3)V9 SIGN LEADING", "C1F2F3F4E7", Decimal("123.4")),
        ("PIC S9(3) SIGN LEADING SEPARATE", "60F1F2F3E7", -123),
        ("PIC S9(3) SIGN TRAILING SEPARATE", "F1F2F34EE7", 123),
        ("PIC S9 SIGN LEADING SEPARATE", "60F5E7", -5),
        ("PIC S9", "D5E7", -5),
        ("PIC 9(27)V99", "F1" * 29 + "E7", Decimal("1" * 27 + ".11")),  # 29 digits, exact
        ("PIC S9(27)V99", "F1" * 28 + "D1E7", Decimal("-" + "1" * 27 + ".11")),
    ],
)
def test_zoned_values(clause: str, hexdata: str, expected: Any) -> None:
    """Zoned decimals off the fast path (blank, LOW-VALUES, padded, signs, wide) decode exactly."""
    value = _decode(clause, hexdata)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, Decimal):
        assert str(value) == str(expected)


@pytest.mark.parametrize(
    ("clause", "hexdata", "reason"),
    [
        ("PIC S9(3)V9", "F1F2F37BE7", "bad sign or digit byte 0x7B"),
        ("PIC S9(3)V9", "F1C1F3C4E7", "non-digit in a numeric field"),
        ("PIC S9(3)V9", "F1F2F3", "record ends inside the field"),
        ("PIC 9(3)V9", "F1F2F3D4E7", "negative sign in an unsigned field"),
        ("PIC 9(3)", "F1F2D4E7", "negative sign in an unsigned field"),
        ("PIC S9(3) SIGN LEADING", "D1F2", "record ends inside the field"),
        ("PIC S9(3) SIGN TRAILING", "F1F2", "record ends inside the field"),
        ("PIC S9(3) SIGN LEADING SEPARATE", "60F1F2", "record ends inside the field"),
        ("PIC S9(3) SIGN TRAILING SEPARATE", "F1F2F3", "record ends inside the field"),
        ("PIC S9(3) SIGN LEADING SEPARATE", "7BF1F2F3E7", "bad separate sign byte 0x7B"),
        ("PIC S9(3) SIGN TRAILING SEPARATE", "F1C1F360E7", "non-digit in a numeric field"),
        ("PIC S9(3) SIGN LEADING", "7BF2F3E7", "bad sign or digit byte 0x7B"),
        ("PIC S9(3) SIGN LEADING", "D1C2F3E7", "non-digit in a numeric field"),
        ("PIC S9(3)", "3132C3E7", "non-digit in a numeric field"),  # ASCII digits in EBCDIC
        ("PIC S9(3)V9", "313233C4E7", "non-digit in a numeric field"),
        ("PIC S9(3)", "F1F200E7", "bad sign or digit byte 0x00"),
        ("PIC 9(3)", "F1F200E7", "bad sign or digit byte 0x00"),
        ("PIC S9(3) SIGN LEADING", "F1F2C3E7", "non-digit in a numeric field"),  # sign at end
        ("PIC S9(3) SIGN TRAILING SEPARATE", "F1F2F3C4E7", "bad separate sign byte 0xC4"),
    ],
)
def test_zoned_errors(clause: str, hexdata: str, reason: str) -> None:
    """Bad or truncated zoned fields are a record error naming the field (never a TypeError,
    never a value), and null only that field under null_fields."""
    assert _error(clause, hexdata).reason == reason


@pytest.mark.parametrize(
    ("clause", "hexdata", "expected"),
    [
        ("PIC S9(3) COMP-3", "123CE7", 123),
        ("PIC S9(3) COMP-3", "123AE7", 123),
        ("PIC S9(3) COMP-3", "123EE7", 123),
        ("PIC S9(3) COMP-3", "123FE7", 123),
        ("PIC S9(3) COMP-3", "123DE7", -123),
        ("PIC S9(3) COMP-3", "123BE7", -123),
        ("PIC 9(3) COMP-3", "123FE7", 123),
        ("PIC 9(3) COMP-3", "123CE7", 123),
        ("PIC S9(3)V99 COMP-3", "00000DE7", Decimal("0.00")),  # -0 is 0
        ("PIC S9(3)V99 COMP-3", "12345DE7", Decimal("-123.45")),
        ("PIC S9(3) COMP-3", "0000E7", None),
        ("PIC S9(29)V9 COMP-3", "0" + "1" * 29 + "2CE7", Decimal("1" * 29 + ".2")),
        ("PIC S9(29)V9 COMP-3", "0" + "1" * 29 + "2DE7", Decimal("-" + "1" * 29 + ".2")),
        ("PIC S9(29) COMP-3", "1" * 29 + "DE7", -int("1" * 29)),
        ("PIC S9(27)V99 COMP-3", "1" * 29 + "CE7", Decimal("1" * 27 + ".11")),  # 15 bytes
        ("PIC S9(27)V99 COMP-3", "1" + "0" * 28 + "CE7", Decimal("1" + "0" * 26 + ".00")),
        ("PIC S9(27)V99 COMP-3", "1" + "0" * 28 + "DE7", Decimal("-1" + "0" * 26 + ".00")),
    ],
)
def test_packed_values(clause: str, hexdata: str, expected: Any) -> None:
    """Packed decimals decode every sign nibble the standard allows, and wide ones keep type."""
    value = _decode(clause, hexdata)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, Decimal):
        assert str(value) == str(expected)


@pytest.mark.parametrize(
    ("clause", "hexdata", "reason"),
    [
        ("PIC 9(3) COMP-3", "123DE7", "bad packed sign nibble D"),
        ("PIC 9(3) COMP-3", "123BE7", "bad packed sign nibble B"),
        ("PIC S9(3) COMP-3", "1235E7", "bad packed sign nibble 5"),
        ("PIC S9(3) COMP-3", "1239E7", "bad packed sign nibble 9"),
        ("PIC S9(3)V9 COMP-3", "012345E7", "bad packed sign nibble 5"),
        ("PIC S9(3) COMP-3", "1A3CE7", "invalid packed decimal digit nibble"),
        ("PIC S9(3)V9 COMP-3", "0A234CE7", "invalid packed decimal digit nibble"),
        ("PIC S9(3) COMP-3", "12", "record ends inside the field"),
        ("PIC S9(3)V9 COMP-3", "0012", "record ends inside the field"),
        ("PIC S9(29)V9 COMP-3", "0" + "1" * 29 + "25E7", "bad packed sign nibble 5"),
    ],
)
def test_packed_errors(clause: str, hexdata: str, reason: str) -> None:
    """A D or B sign in an unsigned packed field, a digit as sign, a bad digit or a short
    record is an error naming the field, never a negative number."""
    assert _error(clause, hexdata).reason == reason


@pytest.mark.parametrize(
    ("clause", "hexdata", "expected"),
    [
        ("PIC S9(4) COMP", "FFFEE7", -2),
        ("PIC 9(4) COMP", "FFFEE7", 65534),
        ("PIC S9(3)V9 COMP", "FFF6E7", Decimal("-1.0")),
        ("PIC S9(4) COMP-5", "8000E7", -32768),
    ],
)
def test_binary_values(clause: str, hexdata: str, expected: Any) -> None:
    """Binary items decode two's complement by the picture's sign, decimals with their scale."""
    value = _decode(clause, hexdata)
    assert value == expected
    assert type(value) is type(expected)


def test_binary_truncated_is_an_error() -> None:
    """A binary field cut short by the record's end is an error naming the field."""
    assert _error("PIC S9(4) COMP", "FF").reason == "record ends inside the field"


def test_little_endian_comp5_decodes_and_encodes() -> None:
    """COMP-5 from a PC compiler (comp5_endian little) reads and writes low byte first."""
    layout = _layout("PIC S9(4) COMP-5").records[0]
    options = DecodeOptions(comp5_endian="little")
    decoder = compile_decoder(layout, options)
    assert decode_with_policy(decoder, bytes.fromhex("FEFFE7"), "fail_record")["F"] == -2
    assert RecordEncoder(layout, options).encode({"F": -2, "T": "X"}).hex().upper() == "FEFFE7"


@pytest.mark.parametrize(
    ("clause", "value", "expected"),
    [
        ("PIC S9(3) SIGN LEADING SEPARATE", -12, "60F0F1F2"),
        ("PIC S9(3) SIGN LEADING SEPARATE", 12, "4EF0F1F2"),
        ("PIC S9(3) SIGN TRAILING SEPARATE", -12, "F0F1F260"),
        ("PIC S9(3) SIGN TRAILING SEPARATE", 12, "F0F1F24E"),
        ("PIC S9(3) SIGN LEADING SEPARATE", 0, "4EF0F0F0"),
        ("PIC S9(3) SIGN LEADING", -123, "D1F2F3"),
        ("PIC S9(3) SIGN LEADING", 123, "C1F2F3"),
        ("PIC S9(3)", -123, "F1F2D3"),
        ("PIC S9(3)", 123, "F1F2C3"),
        ("PIC S9(3)", 0, "F0F0C0"),
        ("PIC S9(3)V9", Decimal("-0.0"), "F0F0F0C0"),
        ("PIC 9(3)", 7, "F0F0F7"),
        ("PIC 9(3)V99", Decimal("1.5"), "F0F0F1F5F0"),
        ("PIC S9(3) COMP-3", 12, "012C"),
        ("PIC S9(3) COMP-3", -12, "012D"),
        ("PIC S9(3) COMP-3", 0, "000C"),
        ("PIC S9(3)V9 COMP-3", Decimal("-0.0"), "00000C"),
        ("PIC 9(3) COMP-3", 12, "012F"),
        ("PIC 9(3) COMP-3", 0, "000F"),
        ("PIC S9(4) COMP", -2, "FFFE"),
        ("PIC 9(4) COMP", 65535, "FFFF"),
        ("PIC S9(3)V9 COMP", Decimal("-1.0"), "FFF6"),
        ("PIC S9(20) COMP", -(2**64), "FF0000000000000000"),
    ],
)
def test_encode_numbers_byte_exact(clause: str, value: Any, expected: str) -> None:
    """Signs land where the picture says (separate leading first, trailing last), unsigned
    packed fields get sign F, and zero is never written negative."""
    assert _encode(clause, value) == expected


@pytest.mark.parametrize(
    ("clause", "value", "expected"),
    [
        ("PIC S9(3)", -123, b"12L"),
        ("PIC S9(3)", 120, b"12{"),
        ("PIC S9(3)", -120, b"12}"),
        ("PIC S9(3)", 0, b"00{"),
        ("PIC S9(3) SIGN LEADING", -123, b"J23"),
        ("PIC S9(3) SIGN LEADING SEPARATE", -5, b"-005"),
        ("PIC S9(3) SIGN TRAILING SEPARATE", 5, b"005+"),
    ],
)
def test_encode_ascii_overpunch(clause: str, value: Any, expected: bytes) -> None:
    """ASCII files get the '{A-I}' / '}J-R' overpunch and '+'/'-' separate signs."""
    layout = _layout(clause).records[0]
    assert encode_record(layout, {"F": value, "T": "X"}, "ascii")[:-1] == expected


@pytest.mark.parametrize(
    ("clause", "value", "message"),
    [
        ("PIC 9(3)", -1, "negative but the field is unsigned"),
        ("PIC 9(3) COMP-3", -1, "negative but the field is unsigned"),
        ("PIC 9(3)", 1000, "does not fit in 3 digits"),
        ("PIC S9(3) SIGN LEADING SEPARATE", 1000, "does not fit in 3 digits"),
        ("PIC S9(3) COMP-3", 1000, "does not fit in 2 packed bytes"),
        ("PIC 9(4) COMP", 65536, "does not fit in 2 binary bytes"),
        ("PIC 9(4) COMP", -1, "does not fit in 2 binary bytes"),
        ("PIC S9(3)V9", Decimal("1.25"), "more than 1 decimal places"),
    ],
)
def test_encode_refuses_what_does_not_fit(clause: str, value: Any, message: str) -> None:
    """Negative values for unsigned fields, overflow and extra decimals are errors, not
    silently changed bytes."""
    with pytest.raises(ValueError, match=message):
        _encode(clause, value)
