"""Record framing read from descriptor words written out by hand."""

from __future__ import annotations

import pytest

from legacy_connectors.flatfile import Framing, detect_framing, record_spans

ABC, DEFG = bytes.fromhex("C1C2C3"), bytes.fromhex("C4C5C6C7")


def _records(data: bytes, framing: Framing) -> list[bytes]:
    spans = record_spans(data, framing)
    assert spans.problem is None
    return [data[o : o + n] for o, n in zip(spans.offsets, spans.lengths, strict=True)]


@pytest.mark.parametrize(
    ("hexdata", "expected"),
    [
        ("00070000C1C2C300080000C4C5C6C7", Framing("V")),
        ("00030000C1C2C300040000C4C5C6C7", Framing("V", rdw_includes_header=False)),
        ("00000700C1C2C300000800C4C5C6C7", Framing("V", endian="little")),
        (
            "00000300C1C2C300000400C4C5C6C7",
            Framing("V", endian="little", rdw_includes_header=False),
        ),
        ("0013000000070000C1C2C300080000C4C5C6C7", Framing("VB")),
        (
            "000B000000070000C1C2C3000C000000080000C4C5C6C7",
            Framing("VB"),
        ),
        (
            "000F000000030000C1C2C300040000C4C5C6C7",
            Framing("VB", rdw_includes_header=False, bdw_includes_header=False),
        ),
        ("0000130000000700C1C2C300000800C4C5C6C7", Framing("VB", endian="little")),
    ],
)
def test_descriptor_words_are_detected_and_read(hexdata: str, expected: Framing) -> None:
    """Both records come back whatever byte order and length convention the writer used."""
    data = bytes.fromhex(hexdata)
    framing = detect_framing(data, expected.recfm)
    assert framing == expected
    assert _records(data, framing) == [ABC, DEFG]


def test_forced_convention_is_used() -> None:
    """A stated convention is not second-guessed: a wrong one reports a framing problem."""
    data = bytes.fromhex("00070000C1C2C300080000C4C5C6C7")
    framing = detect_framing(data, "V", rdw_includes_header=False)
    assert framing.rdw_includes_header is False
    assert record_spans(data, framing).problem is not None


def test_fixed_records_and_truncated_tail() -> None:
    """FB reads LRECL steps; a short last record is reported with its offset."""
    data = bytes.fromhex("C1C2C3C4C5C6C7")
    spans = record_spans(data, Framing("FB", lrecl=3))
    assert list(spans.offsets) == [0, 3]
    assert spans.problem is not None and "byte offset 6" in spans.problem


def test_text_lines() -> None:
    """RECFM=D splits on LF and drops a CR before it."""
    assert _records(b"AB\r\nCDE\nF", Framing("D")) == [b"AB", b"CDE", b"F"]


def test_extended_bdw() -> None:
    """A BDW with its high bit set holds a 31-bit length (large blocks)."""
    data = bytes.fromhex("8000001300070000C1C2C300080000C4C5C6C7")
    assert _records(data, Framing("VB")) == [ABC, DEFG]
