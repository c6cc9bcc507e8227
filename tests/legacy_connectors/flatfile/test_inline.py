"""The compiled decoder's fast path (inline zoned, packed, binary and date decoding, text through
a Latin-1 view of the code page) gives exactly what the per-field converters give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legacy_connectors.flatfile import (
    DecodeOptions,
    RecordDecodeError,
    RecordDecoder,
    RecordEncoder,
    compile_decoder,
    decode_with_policy,
    parse_copybook,
)
from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.inline import latin1_table
from tests.legacy_connectors.flatfile.test_columnar import NOISE, layouts, numeric

OVERPUNCH = [0xC0, 0xC9, 0xD0, 0xD9, 0xA1, 0xB2, 0xE3, 0x7B, 0x7D, 0x4A, 0x70, 0x79, 0xDA, 0xB3,
             0x5D, 0x0B]  # fmt: skip
"""Signed zone bytes of EBCDIC and ASCII, packed sign bytes, and bytes that decode to Latin-1
digits like ``¹``."""


@st.composite
def inline_layouts(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, str]]:
    """A copybook of 2-8 items of the kinds the fast path decodes inline (zoned, packed and
    binary numbers, dates on each), with text between them."""
    lines = ["       01 R."]
    values: dict[str, Any] = {}
    dates: dict[str, str] = {}
    for i in range(draw(st.integers(2, 8))):
        name = f"F{i}"
        kind = draw(st.sampled_from(["DISPLAY", "COMP-3", "COMP", "date", "text"]))
        if kind == "date":
            fmt, clause = draw(
                st.sampled_from(
                    [
                        ("YYYYMMDD", "PIC 9(8)"),
                        ("YYYYMMDD", "PIC S9(8)"),
                        ("CYYMMDD", "PIC S9(7) COMP-3"),
                        ("CYYMMDD", "PIC 9(7)"),
                        ("YYMMDD", "PIC 9(6)"),
                        ("YYYYMMDD", "PIC 9(8) COMP"),
                    ]
                )
            )
            lines.append(f"           05 {name} {clause}.")
            dates[name] = fmt
            values[name] = st.none() | st.dates(date(1900, 1, 1), date(2099, 12, 31))
        elif kind == "text":
            lines.append(f"           05 {name} PIC X(2).")
            values[name] = st.sampled_from(["", "A", "AB", "9", " 1"])
        else:
            clause, strategy = draw(numeric(kind))
            lines.append(f"           05 {name} {clause}.")
            values[name] = strategy
    return "\n".join(lines) + "\n", values, dates


def _outcome(decoder: RecordDecoder, record: bytes, policy: str) -> Any:
    try:
        return decode_with_policy(decoder, record, policy)  # type: ignore[arg-type]
    except RecordDecodeError as exc:
        return (str(exc), exc.field, exc.offset)


def _reference(decoder: RecordDecoder) -> RecordDecoder:
    return RecordDecoder(decoder.root, decoder.options, "", decoder.reference)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=layouts() | inline_layouts(),
    encoding=st.sampled_from(["cp037", "ascii", "cp1140", "cp500", "cp273"]),
    trim=st.sampled_from(["both", "right", "left", "none"]),
    data=st.data(),
)
def test_fast_path_equals_the_field_converters(
    layout: tuple[str, dict[str, Any], dict[str, str]],
    encoding: str,
    trim: str,
    data: st.DataObject,
) -> None:
    """Over random layouts and whole records (valid, with bytes overwritten by blanks, signs,
    zones and noise, or followed by extra bytes), each record and error is the same through the
    fast path as through the per-field converters, under both corrupt-record policies."""
    text, strategies, dates = layout
    root = parse_copybook(text).records[0]
    options = DecodeOptions(encoding=encoding, trim=trim, date_fields=dates)  # type: ignore[arg-type]
    encoder = RecordEncoder(root, options)
    decoder = compile_decoder(root, options)
    reference = _reference(decoder)
    for _ in range(data.draw(st.integers(1, 10))):
        try:
            record = bytearray(encoder.encode(data.draw(st.fixed_dictionaries(strategies))))
        except ValueError:
            record = bytearray(root.total_size)
        for _ in range(data.draw(st.integers(0, 3))):
            pos = data.draw(st.integers(0, len(record) - 1))
            noise = st.sampled_from(NOISE + OVERPUNCH) | st.integers(0, 255)
            record[pos] = data.draw(noise)
        record += bytes(data.draw(st.integers(0, 2)))
        for policy in ("fail_record", "null_fields"):
            got = _outcome(decoder, bytes(record), policy)
            want = _outcome(reference, bytes(record), policy)
            assert repr(got) == repr(want), (text, encoding, bytes(record).hex())


def test_hand_computed_record_through_the_fast_path() -> None:
    """Text, trailing-sign zoned, packed, binary and both inline date layouts from bytes
    computed by hand; a bad day falls back to the converter's error."""
    root = parse_copybook(
        "       01 R.\n"
        "           05 NAME PIC X(4).\n"
        "           05 AMOUNT PIC S9(3)V99.\n"
        "           05 COUNT PIC 9(3).\n"
        "           05 BAL PIC S9(3)V99 COMP-3.\n"
        "           05 BIN PIC S9(4) COMP.\n"
        "           05 OPENED PIC 9(8).\n"
        "           05 SEEN PIC S9(7) COMP-3.\n"
    ).records[0]
    options = DecodeOptions(date_fields={"OPENED": "YYYYMMDD", "SEEN": "CYYMMDD"})
    decoder = compile_decoder(root, options)
    record = bytes.fromhex(
        "C1C2C340"  # "ABC "
        "F1F2F3F4D5"  # -123.45
        "F0F4F2"  # 42
        "12345D"  # -123.45 packed
        "FF85"  # -123
        "F2F0F2F6F1F2F0F3"  # 2026-12-03
        "1261203C"  # 2026-12-03 as CYYMMDD
    )
    assert decoder.decode(record, _never) == {
        "NAME": "ABC",
        "AMOUNT": Decimal("-123.45"),
        "COUNT": 42,
        "BAL": Decimal("-123.45"),
        "BIN": -123,
        "OPENED": date(2026, 12, 3),
        "SEEN": date(2026, 12, 3),
    }
    bad_day = record[:17] + bytes.fromhex("F2F0F2F6F0F2F3F0") + record[25:]
    kept = decode_with_policy(decoder, bad_day, "null_fields")
    assert kept["OPENED"] is None and kept["_corrupt_fields"] == ["OPENED"]


def test_latin1_view_only_for_code_pages_that_are_latin1() -> None:
    """cp037 and ASCII decode through a Latin-1 view of the bytes; cp1140 (with the euro sign)
    keeps its own codec."""
    for name in ("cp037", "cp500", "ascii"):
        cp = code_page(name)
        table = latin1_table(cp)
        assert table is not None
        data = bytes(range(256))
        assert data.translate(table).decode("latin-1") == data.decode(cp.codec, "replace")
    assert latin1_table(code_page("cp1140")) is None


def _never(path: str, pos: int, reason: str) -> None:
    raise AssertionError(f"{path} at {pos}: {reason}")
