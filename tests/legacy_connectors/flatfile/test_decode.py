"""Decoding values against bytes computed by hand (not by the project's own encoder)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from legacy_connectors.flatfile import (
    DecodeOptions,
    RecordDecodeError,
    compile_decoder,
    decode_with_policy,
    parse_copybook,
)


def _decode(pic_clause: str, data: bytes, encoding: str = "cp037", **opts: Any) -> Any:
    cb = parse_copybook(f"       01 R.\n           05 F {pic_clause}.\n")
    decoder = compile_decoder(cb.records[0], DecodeOptions(encoding=encoding, **opts))
    return decode_with_policy(decoder, data, "fail_record")["F"]


@pytest.mark.parametrize(
    ("clause", "hexdata", "expected"),
    [
        ("PIC S9(5) COMP-3", "12345C", 12345),
        ("PIC S9(5) COMP-3", "12345D", -12345),
        ("PIC 9(5) COMP-3", "12345F", 12345),
        ("PIC S9(7)V99 COMP-3", "000012345D", Decimal("-123.45")),
        ("PIC S9(3)V9(4) COMP-3", "0000001C", Decimal("0.0001")),
        ("PIC S9(4) COMP", "FFFE", -2),
        ("PIC 9(4) COMP", "FFFE", 65534),
        ("PIC S9(9) BINARY", "00BC614E", 12345678),
        ("PIC S9(18) COMP-4", "FFFFFFFFFFFFFFFF", -1),
        ("PIC S9(20) COMP", "010000000000000000", 2**64),
        ("PIC S9(5)V99 COMP", "FFFFFF85", Decimal("-1.23")),
        ("PIC S9(4) COMP-5", "7FFF", 32767),
        ("PIC S9(4) COMP-9", "3412", 0x1234),
        ("PIC 9(5)", "F0F1F2F3F4", 1234),
        ("PIC S9(5)", "F0F1F2F3C4", 1234),
        ("PIC S9(5)", "F0F1F2F3D4", -1234),
        ("PIC S9(5)", "F0F1F2F3D0", -1230),
        ("PIC S9(3)V99", "F1F2F3F4D5", Decimal("-123.45")),
        ("PIC S9(3) SIGN LEADING", "D1F2F3", -123),
        ("PIC S9(3) SIGN TRAILING SEPARATE", "F1F2F360", -123),
        ("PIC S9(3) SIGN LEADING SEPARATE", "4EF1F2F3", 123),
        ("PIC 9(3)PP", "F1F2F3", Decimal("12300")),
        ("PIC VPP99", "F1F2", Decimal("0.0012")),
        ("COMP-1", "C276A000", -118.625),
        ("COMP-2", "4110000000000000", 1.0),
        ("COMP-2", "C1C8000000000000", -12.5),
        ("PIC X(5)", "C8C5D3D3D6", "HELLO"),
        ("PIC X(5)", "4040C1404040"[:10], "A"),
        ("PIC X(5)", "0000000000", None),
        ("PIC S9(5) COMP-3", "000000", None),
        ("PIC 9(4)", "40404040", None),
        ("PIC ZZ,ZZ9.99-", "40F16BF2F3F44BF5F060", Decimal("-1234.50")),
        ("PIC +++9", "40404EF7", 7),
        ("PIC 9(3).99", "F0F0F74BF1F0", Decimal("7.10")),
        ("PIC S9(3).99", "F0F1F24BF3D1", Decimal("-12.31")),
        ("PIC 9(8)+", "F0F0F0F0F0F1F2F360", -123),
        ("PIC Z(6)VZZ-", "404040404040F1F240", Decimal("0.12")),
        ("PIC 99V99 SIGN IS LEADING SEPARATE CHARACTER", "60F1F2F3F4", Decimal("-12.34")),
        ("PIC 9(37)", "F1" + "F0" * 36, 10**36),
        ("PIC S9(37) COMP-3", "00" * 18 + "1D", -1),
        ("PIC 9(18)V9(10) COMP", "00" * 11 + "01", Decimal("1E-10")),
    ],
)
def test_value_from_hand_computed_bytes(clause: str, hexdata: str, expected: Any) -> None:
    """Each storage type decodes the bytes a mainframe writes to the value it means."""
    value = _decode(clause, bytes.fromhex(hexdata))
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("encoding", "hexdata", "expected"),
    [
        ("cp037", "5B", "$"),
        ("cp285", "5B", "£"),
        ("cp500", "4F", "!"),
        ("cp1047", "AD", "["),
        ("cp1140", "9F", "€"),
        ("cp1146", "5B", "£"),
        ("cp1146", "9F", "€"),
        ("ascii", "A3", "£"),
    ],
)
def test_code_pages(encoding: str, hexdata: str, expected: str) -> None:
    """Text decodes by the file's code page (UK pound in cp285/cp1146, euro in cp1140)."""
    assert _decode("PIC X", bytes.fromhex(hexdata), encoding) == expected


@pytest.mark.parametrize(
    ("clause", "text", "expected"),
    [
        ("PIC S9(5)", "0123}", -1230),
        ("PIC S9(5)", "0123J", -1231),
        ("PIC S9(5)", "0123A", 1231),
        ("PIC S9(5)", "0123{", 1230),
        ("PIC S9(5)", "0123q", -1231),
        ("PIC S9(3)V99 SIGN TRAILING SEPARATE", "12345-", Decimal("-123.45")),
        ("PIC 9(5)", "  123", 123),
    ],
)
def test_ascii_zoned_overpunch(clause: str, text: str, expected: Any) -> None:
    """ASCII files use the '{A-I}J-R' overpunch (and 'p-y' for negatives from PC compilers)."""
    assert _decode(clause, text.encode("latin-1"), "ascii") == expected


@pytest.mark.parametrize(
    ("fmt", "hexdata", "expected"),
    [
        ("YYMMDD", "F2F6F1F1F2F7", date(2026, 11, 27)),
        ("YYMMDD", "F9F9F1F2F3F1", date(1999, 12, 31)),
        ("CYYMMDD", "F1F2F6F1F1F2F7", date(2026, 11, 27)),
        ("CYYMMDD", "F0F6F5F0F1F0F2", date(1965, 1, 2)),
        ("YYYYMMDD", "F2F0F2F4F0F2F2F9", date(2024, 2, 29)),
        ("YYDDD", "F2F4F0F6F0", date(2024, 2, 29)),
        ("CYYDDD", "F1F2F5F3F6F5", date(2025, 12, 31)),
        ("YYMMDD", "F0F0F0F0F0F0", None),
        ("YYMMDD", "000000000000", None),
    ],
)
def test_legacy_dates(fmt: str, hexdata: str, expected: date | None) -> None:
    """Configured date fields convert each legacy layout; zero and LOW-VALUES give None."""
    size = len(hexdata) // 2
    opts = {"date_fields": {"F": fmt}}
    assert _decode(f"PIC 9({size})", bytes.fromhex(hexdata), **opts) == expected


def test_packed_date_field() -> None:
    """A CYYMMDD date kept in COMP-3 (0 meaning none) converts too."""
    opts = {"date_fields": {"F": "CYYMMDD"}}
    assert _decode("PIC S9(7) COMP-3", bytes.fromhex("1261127C"), **opts) == date(2026, 11, 27)
    assert _decode("PIC S9(7) COMP-3", bytes.fromhex("0000000C"), **opts) is None


@pytest.mark.parametrize(
    ("clause", "hexdata", "reason"),
    [
        ("PIC S9(5) COMP-3", "1A345C", "invalid packed decimal digit nibble"),
        ("PIC S9(5) COMP-3", "123457", "bad packed sign nibble 7"),
        ("PIC S9(5)", "F0C1F2F3C4", "non-digit"),
        ("PIC S9(5)", "F0F1F24BF3", "non-digit"),
        ("PIC 9(3)", "F1F2D3", "negative sign in an unsigned field"),
        ("PIC S9(3) SIGN LEADING SEPARATE", "F1F1F2F3", "bad separate sign"),
    ],
)
def test_corrupt_values_fail_with_the_field_and_reason(
    clause: str, hexdata: str, reason: str
) -> None:
    """Bad nibbles, bad signs and letters in numbers are errors naming field and offset."""
    with pytest.raises(RecordDecodeError) as info:
        _decode(clause, bytes.fromhex(hexdata))
    assert info.value.field == "F" and info.value.offset == 0
    assert reason in info.value.reason


def test_corrupt_fields_become_null_and_are_listed() -> None:
    """Under null_fields the record is kept, bad fields None and named in _corrupt_fields."""
    cb = parse_copybook(
        "       01 R.\n"
        "           05 A PIC S9(3) COMP-3.\n"
        "           05 B PIC X(3).\n"
        "           05 C PIC 9(3) OCCURS 2.\n"
    )
    decoder = compile_decoder(cb.records[0], DecodeOptions())
    data = bytes.fromhex("1237") + "ABC".encode("cp037") + bytes.fromhex("F1F2F3F1C1C2")
    values = decode_with_policy(decoder, data, "null_fields")
    assert values == {"A": None, "B": "ABC", "C": [123, None], "_corrupt_fields": ["A", "C[1]"]}


def test_groups_occurs_depending_and_redefines() -> None:
    """Groups nest, OCCURS DEPENDING ON shifts later fields, REDEFINES decodes every view."""
    cb = parse_copybook(
        "       01 R.\n"
        "           05 KIND PIC X.\n"
        "           05 BODY.\n"
        "              10 AMOUNT PIC S9(3) COMP-3.\n"
        "           05 BODY-TEXT REDEFINES BODY PIC X(2).\n"
        "           05 N PIC 9.\n"
        "           05 ITEM OCCURS 1 TO 3 DEPENDING ON N.\n"
        "              10 CODE PIC X.\n"
        "              10 QTY PIC S9(3) COMP.\n"
        "           05 TAIL-MARK PIC X(2).\n"
    )
    decoder = compile_decoder(cb.records[0], DecodeOptions())
    data = (
        bytes.fromhex("C1")  # KIND 'A'
        + bytes.fromhex("100C")  # AMOUNT +100
        + bytes.fromhex("F2")  # N = 2
        + bytes.fromhex("C10005")  # ITEM 1: 'A', 5
        + bytes.fromhex("C2FFFF")  # ITEM 2: 'B', -1
        + bytes.fromhex("C5D5")  # TAIL-MARK 'EN'
    )
    values = decode_with_policy(decoder, data, "fail_record")
    assert values == {
        "KIND": "A",
        "BODY": {"AMOUNT": 100},
        "BODY_TEXT": b"\x10\x0c".decode("cp037").strip(),
        "N": 2,
        "ITEM": [{"CODE": "A", "QTY": 5}, {"CODE": "B", "QTY": -1}],
        "TAIL_MARK": "EN",
    }
    fixed = compile_decoder(cb.records[0], DecodeOptions(variable_size_occurs=False))
    padded = data[:10] + bytes(3) + data[10:]
    assert decode_with_policy(fixed, padded, "fail_record")["TAIL_MARK"] == "EN"


def test_truncated_record_is_corrupt() -> None:
    """A record shorter than its layout fails at the first missing field."""
    with pytest.raises(RecordDecodeError) as info:
        _decode("PIC S9(7) COMP-3", bytes.fromhex("0012"))
    assert "record ends inside the field" in info.value.reason


def test_trim_policies() -> None:
    """Text is trimmed as the policy says."""
    data = "  AB  ".encode("cp037")
    assert _decode("PIC X(6)", data) == "AB"
    assert _decode("PIC X(6)", data, trim="right") == "  AB"
    assert _decode("PIC X(6)", data, trim="left") == "AB  "
    assert _decode("PIC X(6)", data, trim="none") == "  AB  "


def test_comp5_in_native_little_endian_order() -> None:
    """COMP-5 written by a PC compiler (little-endian) reads right with comp5_endian."""
    data = bytes.fromhex("FEFF3412")
    clause = "PIC S9(4) COMP-5"
    cb = parse_copybook(f"       01 R.\n           05 A {clause}.\n           05 B {clause}.\n")
    little = compile_decoder(cb.records[0], DecodeOptions(comp5_endian="little"))
    assert decode_with_policy(little, data, "fail_record") == {"A": -2, "B": 0x1234}
    big = compile_decoder(cb.records[0], DecodeOptions())
    assert decode_with_policy(big, data, "fail_record") == {"A": -257, "B": 0x3412}


@pytest.mark.parametrize(
    ("clause", "text", "expected"),
    [
        ("PIC 9(5)", "  123", 123),
        ("PIC 9(5)", "123  ", 123),
        ("PIC S9(5)", " 123J", -1231),
        ("PIC S9(5) SIGN LEADING", "J23  ", -123),
        ("PIC S9(3)V99 SIGN TRAILING SEPARATE", " 1234-", Decimal("-12.34")),
    ],
)
def test_zoned_numbers_padded_with_spaces(clause: str, text: str, expected: object) -> None:
    """Numbers that other tools pad with spaces instead of zeros still decode."""
    assert _decode(clause, text.encode("cp037")) == expected
