"""The columnar decode path gives exactly what decoding record by record gives, and its Arrow,
CSV and Parquet exports carry the same values."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.cli import main
from legacy_connectors.flatfile import (
    DecodeOptions,
    Framing,
    RecordDecodeError,
    RecordEncoder,
    compile_decoder,
    decode_with_policy,
    frame_records,
    parse_copybook,
)
from legacy_connectors.flatfile.codec.arrow import to_arrow
from legacy_connectors.flatfile.codec.columnar import ColumnarDecoder

TEXT = st.text(alphabet="AZaz09 -.\x00éÄ", max_size=6)
NOISE = [0x00, 0x40, 0x20, 0xF0, 0xF5, 0x30, 0x39, 0xC3, 0xD7, 0x7B, 0x7D, 0x4E, 0x60, 0x2B,
         0x2D, 0x0C, 0x1D, 0x2F, 0x5A, 0x9F, 0xFF, 0x05, 0x41, 0x4A, 0x15]  # fmt: skip


@st.composite
def numeric(draw: st.DrawFn, usage: str) -> tuple[str, Any]:
    """A numeric item's clause and a strategy of values that fit it."""
    if usage == "COMP":
        digits = draw(st.sampled_from([2, 4, 5, 9, 10, 18, 20]))
        comp = draw(st.sampled_from(["COMP", "COMP-5", "COMP-9"]))
    else:
        digits = draw(st.integers(1, 20))
        comp = usage
    scale = draw(st.integers(0, min(digits - 1, 4))) if digits > 1 else 0
    signed = draw(st.booleans())
    sign = ""
    if usage == "DISPLAY" and signed:
        sign = draw(st.sampled_from(["", " SIGN LEADING", " SIGN LEADING SEPARATE",
                                     " SIGN TRAILING SEPARATE"]))  # fmt: skip
    pic = ("S" if signed else "") + f"9({digits - scale})" + (f"V9({scale})" if scale else "")
    usage_text = "" if usage == "DISPLAY" else f" {comp}"
    limit = 10**digits - 1
    ints = st.integers(-limit if signed else 0, limit)
    values = ints.map(lambda v: Decimal(v).scaleb(-scale) if scale else v)
    return f"PIC {pic}{sign}{usage_text}", values


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, str]]:
    """A copybook with 1-6 items (text, zoned, packed, binary, dates, an OCCURS group, a
    REDEFINES), value strategies per item and the date fields."""
    lines = ["       01 R."]
    values: dict[str, Any] = {}
    dates: dict[str, str] = {}
    for i in range(draw(st.integers(1, 6))):
        name = f"F{i}"
        kind = draw(
            st.sampled_from(["text", "DISPLAY", "COMP-3", "COMP", "date", "pdate", "group"])
        )
        if kind == "text":
            size = draw(st.integers(1, 8))
            lines.append(f"           05 {name} PIC X({size}).")
            values[name] = TEXT.map(lambda s, n=size: s[:n])
            if draw(st.booleans()):
                lines.append(f"           05 {name}R REDEFINES {name} PIC X({size}).")
        elif kind == "date":
            fmt, size = draw(st.sampled_from([("YYYYMMDD", 8), ("YYMMDD", 6), ("YYDDD", 5)]))
            lines.append(f"           05 {name} PIC 9({size}).")
            dates[name] = fmt
            values[name] = st.none() | st.dates(date(1950, 1, 1), date(2049, 12, 31))
        elif kind == "pdate":
            fmt = draw(st.sampled_from(["CYYMMDD", "CYYDDD"]))
            lines.append(f"           05 {name} PIC S9(7) COMP-3.")
            dates[name] = fmt
            values[name] = st.none() | st.dates(date(1900, 1, 1), date(2099, 12, 31))
        elif kind == "group":
            clause, strategy = draw(numeric("COMP-3"))
            count = draw(st.integers(1, 3))
            lines.append(f"           05 {name} OCCURS {count}.")
            lines.append(f"              10 {name}A {clause}.")
            lines.append(f"              10 {name}B PIC X(2).")
            item = st.fixed_dictionaries({f"{name}A": strategy, f"{name}B": TEXT})
            values[name] = st.lists(item, min_size=count, max_size=count)
        else:
            clause, strategy = draw(numeric(kind))
            lines.append(f"           05 {name} {clause}.")
            values[name] = strategy
    return "\n".join(lines) + "\n", values, dates


def _outcome(decoder: Any, record: bytes, policy: str) -> Any:
    try:
        return decode_with_policy(decoder, record, policy)  # type: ignore[arg-type]
    except RecordDecodeError as exc:
        return exc


def _same(got: Any, want: Any) -> None:
    if isinstance(want, RecordDecodeError):
        assert isinstance(got, RecordDecodeError)
        assert (str(got), got.field, got.offset) == (str(want), want.field, want.offset)
    else:
        assert repr(got) == repr(want)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(
    layout=layouts(),
    encoding=st.sampled_from(["cp037", "ascii", "cp1140"]),
    trim=st.sampled_from(["both", "right", "left", "none"]),
    data=st.data(),
)
def test_columnar_equals_record_by_record(
    layout: tuple[str, dict[str, Any], dict[str, str]],
    encoding: str,
    trim: str,
    data: st.DataObject,
) -> None:
    """Over random layouts and records (valid, with bytes overwritten, blanked or cut short),
    the columnar path gives each record and error exactly as the per-record path, under both
    corrupt-record policies, and its Arrow batch holds the same values."""
    text, strategies, dates = layout
    root = parse_copybook(text).records[0]
    options = DecodeOptions(encoding=encoding, trim=trim, date_fields=dates)  # type: ignore[arg-type]
    encoder = RecordEncoder(root, options)
    records = []
    for _ in range(data.draw(st.integers(1, 12))):
        try:
            record = bytearray(encoder.encode(data.draw(st.fixed_dictionaries(strategies))))
        except ValueError:
            record = bytearray(root.total_size)
        for _ in range(data.draw(st.integers(0, 3))):
            pos = data.draw(st.integers(0, len(record) - 1))
            record[pos] = data.draw(st.sampled_from(NOISE))
        if data.draw(st.integers(0, 9)) == 0:
            record[data.draw(st.integers(0, len(record) - 1)) :] = b""
        records.append(bytes(record))
    decoder = compile_decoder(root, options)
    columnar = ColumnarDecoder(decoder)
    full = [r for r in records if len(r) == root.total_size]
    for policy in ("fail_record", "null_fields"):
        block = columnar.decode(records, policy)  # type: ignore[arg-type]
        for got, record in zip(block.records(), records, strict=True):
            _same(got, _outcome(decoder, record, policy))
        for got, record in zip(columnar.records(records, policy), records, strict=True):  # type: ignore[arg-type]
            _same(got, _outcome(decoder, record, policy))
        if not full:
            continue
        rows = np.frombuffer(b"".join(full), dtype=np.uint8).reshape(len(full), -1)
        block = columnar.decode(rows, policy)  # type: ignore[arg-type]
        wanted = [_outcome(decoder, r, policy) for r in full]
        for got, want in zip(block.records(), wanted, strict=True):
            _same(got, want)
        picked = list(range(len(full)))[::-2]
        for got, row in zip(block.records(picked), picked, strict=True):
            _same(got, wanted[row])
        table = to_arrow(block).to_pylist()
        kept = [w for w in wanted if isinstance(w, dict)]
        assert len(table) == len(kept)
        for arrow_row, want in zip(table, kept, strict=True):
            for slot in columnar.slots:
                value: Any = want
                for key in slot.keys:
                    value = value[key]
                assert arrow_row[slot.name] == value, (slot.name, arrow_row, want, full)


@pytest.mark.parametrize("usage", ["COMP", "COMP-5"])
def test_a_binary_decimal_past_int64_decodes_as_the_record_path(usage: str) -> None:
    """An unsigned 8-byte binary decimal whose bytes hold more than 2**63 (F0 00 00 00 00 00 00
    00 is 17,293,822,569,102,704,640 tenths) decodes to the per-record value, in records and in
    Arrow, instead of overflowing the int64 column (seed 34 of the property test found it)."""
    root = parse_copybook(f"       01 R.\n           05 A PIC 9(17)V9 {usage}.\n").records[0]
    decoder = compile_decoder(root, DecodeOptions())
    record = bytes.fromhex("F000000000000000") + bytes.fromhex("0000000000000017")
    rows = [record[:8], record[8:]]
    want = [{"A": Decimal("1729382256910270464.0")}, {"A": Decimal("2.3")}]
    assert [decode_with_policy(decoder, r, "fail_record") for r in rows] == want
    block = ColumnarDecoder(decoder).decode(rows, "fail_record")
    assert block.records() == want
    assert to_arrow(block).to_pylist() == [{"A": w["A"]} for w in want]


COPYBOOK = """\
       01 HDR.
          05 RT       PIC X.
          05 RUN-DATE PIC 9(8).
       01 CLAIM.
          05 RT       PIC X.
          05 NINO     PIC X(9).
          05 AMOUNT   PIC S9(5)V99 COMP-3.
          05 WEEKS    PIC 9(2).
"""
HDR = "H".encode("cp037") + bytes.fromhex("F2F0F2F6F1F2F0F3")  # 20261203
CLAIMS = [
    "D".encode("cp037") + "AB123456C".encode("cp037") + bytes.fromhex("0012345D") + b"\xf1\xf2",
    "D".encode("cp037") + "CD654321A".encode("cp037") + bytes.fromhex("0010000C") + b"\xf0\xf4",
    "D".encode("cp037") + "EF000000B".encode("cp037") + bytes.fromhex("001A345C") + b"\xf0\xf1",
]  # -123.45 12 weeks, 100.00 4 weeks, a bad packed digit


def _files(tmp_path: Path) -> list[str]:
    (tmp_path / "C.cpy").write_text(COPYBOOK)
    (tmp_path / "C.DAT").write_bytes(frame_records([HDR, *CLAIMS], Framing("VB")))
    return [
        "flatfile", "decode", "--copybook", str(tmp_path / "C.cpy"),
        "--file", str(tmp_path / "C.DAT"), "--recfm", "VB", "--segment-field", "RT",
        "--record-type", "H=HDR", "--record-type", "D=CLAIM", "--date-field", "RUN-DATE=YYYYMMDD",
    ]  # fmt: skip


def test_parquet_export_of_a_multi_layout_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format parquet writes typed columns per layout (date32, decimal, int, text) with
    record numbers; the corrupt record is reported and left out."""
    out = tmp_path / "claims.parquet"
    code = main([*_files(tmp_path), "--format", "parquet", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "record 4" in err and "AMOUNT" in err
    table = pq.read_table(out)
    assert str(table.schema.field("HDR.RUN_DATE").type) == "date32[day]"
    assert str(table.schema.field("CLAIM.AMOUNT").type) == "decimal128(7, 2)"
    assert str(table.schema.field("CLAIM.WEEKS").type) == "int64"
    rows = sorted(table.to_pylist(), key=lambda r: r["_record"])
    assert [(r["_record"], r["_layout"]) for r in rows] == [(1, "HDR"), (2, "CLAIM"), (3, "CLAIM")]
    assert rows[0]["HDR.RUN_DATE"] == date(2026, 12, 3) and rows[0]["CLAIM.NINO"] is None
    assert (rows[1]["CLAIM.NINO"], rows[1]["CLAIM.AMOUNT"], rows[1]["CLAIM.WEEKS"]) == (
        "AB123456C",
        Decimal("-123.45"),
        12,
    )
    assert rows[2]["CLAIM.AMOUNT"] == Decimal("100.00")


def test_csv_export_keeps_corrupt_records_with_null_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format csv --keep-corrupt prints every record, the bad field empty and named in
    _corrupt_fields; decimals keep their digits."""
    code = main([*_files(tmp_path), "--format", "csv", "--keep-corrupt"])
    out = capsys.readouterr().out
    assert code == 1
    rows = sorted(csv.DictReader(io.StringIO(out)), key=lambda r: int(r["_record"]))
    assert [r["_record"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[1]["CLAIM.AMOUNT"] == "-123.45" and rows[2]["CLAIM.AMOUNT"] == "100.00"
    assert rows[3]["CLAIM.AMOUNT"] == "" and rows[3]["_corrupt_fields"] == "AMOUNT"
    assert rows[3]["CLAIM.NINO"] == "EF000000B"
    assert rows[0]["HDR.RUN_DATE"] == "2026-12-03"


def test_jsonl_is_the_default_and_matches_the_record_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default JSON lines come from the columnar path and equal the per-record decode."""
    code = main(_files(tmp_path))
    out = capsys.readouterr().out
    assert code == 1
    assert [json.loads(line, parse_float=Decimal) for line in out.splitlines()] == [
        {"_layout": "HDR", "RT": "H", "RUN_DATE": "2026-12-03"},
        {"_layout": "CLAIM", "RT": "D", "NINO": "AB123456C", "AMOUNT": Decimal("-123.45"),
         "WEEKS": 12},
        {"_layout": "CLAIM", "RT": "D", "NINO": "CD654321A", "AMOUNT": Decimal("100.00"),
         "WEEKS": 4},
    ]  # fmt: skip


def test_parquet_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Parquet is binary: without --output the command refuses with exit code 2."""
    assert main([*_files(tmp_path), "--format", "parquet"]) == 2
    assert "--output" in capsys.readouterr().err
