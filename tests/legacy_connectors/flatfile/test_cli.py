"""``govgraph flatfile decode|layout`` as an integration engineer would run them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from govgraph.cli import main
from legacy_connectors.flatfile import Framing, frame_records

DATA = Path(__file__).parents[2] / "data" / "flatfile"


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line, parse_float=Decimal) for line in out.splitlines() if line]


def test_decode_ascii_line_file_from_free_format_copybook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An ASCII text-line file with overpunch, COMP-5, separate sign and ODO decodes exactly."""
    code = main(
        [
            "flatfile", "decode", "--copybook", str(DATA / "ORDERS.cpy"),
            "--file", str(DATA / "ORDERS.D"), "--recfm", "D", "--encoding", "ascii",
            "--date-field", "ORDER-DATE=YYYYMMDD",
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    first, second = _lines(out.out)
    assert first == {
        "ORDER_NO": 1,
        "CUSTOMER_NAME": "ACME LTD",
        "QTY": 5,
        "PRICE": Decimal("-123.40"),
        "DISCOUNT": Decimal("-10.50"),
        "ORDER_DATE": "2026-11-27",
        "STATUS_CODE": "S",
        "LINES_COUNT": 2,
        "ORDER_LINE": [{"SKU": "AB12"}, {"SKU": "CD34"}],
    }
    assert second["QTY"] == -2 and second["PRICE"] == Decimal("1.01")
    assert second["ORDER_LINE"] == [] and second["CUSTOMER_NAME"] == "BETA & SONS"
    assert '"PRICE":-123.40' in out.out


def test_decode_segments_little_endian_rdw_and_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several record types by segment; a corrupt record goes to stderr and sets exit code 1."""
    cpy = tmp_path / "T.cpy"
    cpy.write_text(
        "       01 HDR.\n           05 RT PIC X.\n           05 RUN-ID PIC 9(3).\n"
        "       01 DTL.\n           05 RT PIC X.\n           05 AMT PIC S9(3)V99 COMP-3.\n"
    )
    records = [
        "H007".encode("cp037"),
        "D".encode("cp037") + bytes.fromhex("01234C"),
        "D".encode("cp037") + bytes.fromhex("0123FC"),
    ]
    path = tmp_path / "T.DAT"
    path.write_bytes(
        frame_records(records, Framing("V", endian="little", rdw_includes_header=False))
    )
    code = main(
        [
            "flatfile", "decode", "--copybook", str(cpy), "--file", str(path), "--recfm", "V",
            "--segment-field", "RT", "--record-type", "H=HDR", "--record-type", "D=DTL",
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 1
    assert _lines(out.out) == [
        {"_layout": "HDR", "RT": "H", "RUN_ID": 7},
        {"_layout": "DTL", "RT": "D", "AMT": Decimal("12.34")},
    ]
    assert "record 3" in out.err and "AMT" in out.err and "byte offset" in out.err


def test_truncated_fixed_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fixed file whose size is not a multiple of LRECL is reported, exit code 1."""
    cpy = tmp_path / "F.cpy"
    cpy.write_text("       01 R.\n           05 A PIC X(4).\n")
    path = tmp_path / "F.DAT"
    path.write_bytes("ABCDEFGHIJ".encode("cp500"))
    code = main(["flatfile", "decode", "--copybook", str(cpy), "--file", str(path)])
    out = capsys.readouterr()
    assert code == 1
    assert len(_lines(out.out)) == 2 and "truncated" in out.err


def test_layout_prints_offsets_lengths_types(capsys: pytest.CaptureFixture[str]) -> None:
    """layout lists each field with offset, length, type, OCCURS and 88 values."""
    assert main(["flatfile", "layout", "--copybook", str(DATA / "ORDERS.cpy")]) == 0
    out = capsys.readouterr().out
    assert "05 QTY" in out and "S9(4) COMP-5" in out
    assert "OCCURS 0 TO 3 DEPENDING ON LINES-COUNT" in out
    assert "88 SHIPPED" in out


def test_bad_copybook_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unsupported clause exits 2 with line and column on stderr."""
    cpy = tmp_path / "B.cpy"
    cpy.write_text("       01 R.\n           05 A PIC N(4) USAGE NATIONAL.\n")
    assert main(["flatfile", "layout", "--copybook", str(cpy)]) == 2
    assert "line 2, column" in capsys.readouterr().err


def test_wrong_recfm_gets_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A V file read as VB fails with a hint naming the format that reads it cleanly."""
    cpy = tmp_path / "H.cpy"
    cpy.write_text("       01 R.\n           05 A PIC X(3).\n")
    path = tmp_path / "H.DAT"
    path.write_bytes(frame_records(["ABC".encode("cp037")] * 3, Framing("V")))
    code = main(
        ["flatfile", "decode", "--copybook", str(cpy), "--file", str(path), "--recfm", "VB"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "hint: the file reads cleanly as --recfm V" in err


def test_ibm_code_page_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Code pages may be named the IBM way (IBM-285): the pound sign comes out right."""
    cpy = tmp_path / "P.cpy"
    cpy.write_text("       01 R.\n           05 A PIC X(4).\n")
    path = tmp_path / "P.DAT"
    path.write_bytes(bytes.fromhex("5BF1F0F0"))
    args = ["flatfile", "decode", "--copybook", str(cpy), "--file", str(path)]
    assert main([*args, "--encoding", "IBM-285"]) == 0
    assert _lines(capsys.readouterr().out) == [{"A": "£100"}]
