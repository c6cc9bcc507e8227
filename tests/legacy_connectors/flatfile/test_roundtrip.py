"""Encoder and decoder agree: property tests across every storage type and code page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from legacy_connectors.flatfile import (
    DecodeOptions,
    RecordDecoder,
    compile_decoder,
    decode_with_policy,
    encode_record,
    parse_copybook,
)
from legacy_connectors.flatfile.codec.hfp import float_to_hfp, hfp_to_float

COPYBOOK = parse_copybook(
    """\
       01  ALL-TYPES.
           05  TXT             PIC X(12).
           05  ALPHA           PIC A(5).
           05  ZONED-U         PIC 9(5).
           05  ZONED-S         PIC S9(5)V99.
           05  ZONED-LEAD      PIC S9(4) SIGN LEADING.
           05  ZONED-SEP       PIC S9(4)V9 SIGN TRAILING SEPARATE.
           05  SCALED-P        PIC 9(3)PP.
           05  BIN-2           PIC S9(4) COMP.
           05  BIN-4U          PIC 9(9) BINARY.
           05  BIN-8           PIC S9(18) COMP-4.
           05  BIN-5           PIC S9(4) COMP-5.
           05  BIN-LE          PIC S9(9) COMP-9.
           05  PACKED          PIC S9(7)V99 COMP-3.
           05  PACKED-U        PIC 9(6) COMP-3.
           05  EDITED          PIC ZZ,ZZ9.99-.
           05  SHORT-FLOAT     COMP-1.
           05  LONG-FLOAT      COMP-2.
           05  WHEN-DONE       PIC 9(8).
           05  WHEN-JULIAN     PIC S9(5) COMP-3.
           05  N               PIC S9(4) COMP.
           05  ITEMS OCCURS 0 TO 4 TIMES DEPENDING ON N.
               10  CODE        PIC X(2).
               10  AMOUNT      PIC S9(5)V99 COMP-3.
           05  TAIL            PIC X(3).
"""
).records[0]

DATES = {"WHEN-DONE": "YYYYMMDD", "WHEN-JULIAN": "YYDDD"}


def _dec(digits: int, scale: int, signed: bool = True) -> st.SearchStrategy[Decimal]:
    limit = 10**digits - 1
    low = -limit if signed else 0
    return st.integers(low, limit).map(lambda v: Decimal(v).scaleb(-scale))


def _text(size: int, alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=size).map(str.strip)


PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-'&/£€"

values = st.fixed_dictionaries(
    {
        "TXT": _text(12, PRINTABLE),
        "ALPHA": _text(5, "ABCDEFGHIJKLMNOPQRSTUVWXYZ "),
        "ZONED_U": st.integers(0, 99999),
        "ZONED_S": _dec(7, 2),
        "ZONED_LEAD": st.integers(-9999, 9999),
        "ZONED_SEP": _dec(5, 1),
        "SCALED_P": st.integers(0, 999).map(lambda v: Decimal(v).scaleb(2)),
        "BIN_2": st.integers(-9999, 9999),
        "BIN_4U": st.integers(0, 999_999_999),
        "BIN_8": st.integers(-(10**18) + 1, 10**18 - 1),
        "BIN_5": st.integers(-32768, 32767),
        "BIN_LE": st.integers(-999_999_999, 999_999_999),
        "PACKED": _dec(9, 2),
        "PACKED_U": st.integers(0, 999_999),
        "EDITED": _dec(7, 2),
        "WHEN_DONE": st.dates(date(1900, 1, 1), date(2099, 12, 31)),
        "WHEN_JULIAN": st.dates(date(1950, 1, 1), date(2049, 12, 31)),
        "ITEMS": st.lists(
            st.fixed_dictionaries({"CODE": _text(2, "ABCXYZ"), "AMOUNT": _dec(7, 2)}),
            max_size=4,
        ),
        "TAIL": _text(3, "XYZ"),
    }
)


_DECODERS: dict[str, RecordDecoder] = {}


def _decoder(encoding: str) -> RecordDecoder:
    if encoding not in _DECODERS:
        options = DecodeOptions(encoding=encoding, date_fields=DATES)
        _DECODERS[encoding] = compile_decoder(COPYBOOK, options)
    return _DECODERS[encoding]


@settings(max_examples=150, deadline=None)
@given(
    values=values,
    encoding=st.sampled_from(["cp037", "cp285", "cp500", "cp1047", "cp1140", "cp1146", "ascii"]),
)
def test_encode_then_decode_gives_the_values_back(values: dict[str, Any], encoding: str) -> None:
    """Every field type survives encode -> decode in every code page (floats aside)."""
    if encoding in ("cp037", "cp500", "cp1047"):
        values = {**values, "TXT": values["TXT"].replace("£", "L").replace("€", "E")}
    if encoding in ("cp285", "ascii"):
        values = {**values, "TXT": values["TXT"].replace("€", "E")}
    data = encode_record(COPYBOOK, values, encoding, date_fields=DATES)
    decoded = decode_with_policy(_decoder(encoding), data, "fail_record")
    decoded.pop("SHORT_FLOAT")
    decoded.pop("LONG_FLOAT")
    expected = {**values, "N": len(values["ITEMS"])}
    assert decoded == expected
    assert len(data) == COPYBOOK.size - (4 - len(values["ITEMS"])) * 6


@given(st.binary(min_size=8, max_size=8))
def test_long_float_bytes_round_trip(data: bytes) -> None:
    """Normalised COMP-2 bytes decode to a float that encodes back to the same bytes."""
    frac = int.from_bytes(data[1:], "big")
    if frac == 0 or frac >> 52 == 0:
        return
    value = hfp_to_float(data)
    if abs(value) < 1e-300:
        return
    assert hfp_to_float(float_to_hfp(value, 8)) == value


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e70, max_value=1e70))
def test_double_to_long_float_is_exact(value: float) -> None:
    """A Python float fits a COMP-2 exactly (56-bit fraction), so it comes back unchanged."""
    if value != 0 and abs(value) < 1e-70:
        return
    assert hfp_to_float(float_to_hfp(value, 8)) == value
