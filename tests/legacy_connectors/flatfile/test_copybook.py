"""Copybook parsing: reference formats, clauses, offsets and clear errors."""

from __future__ import annotations

import pytest

from legacy_connectors.flatfile import CopybookError, Usage, parse_copybook

FIXED = """\
000100* A COMMENT LINE THAT MENTIONS PIC X(99).                         SEQ00001
000200 01  CUSTOMER-REC.                                                SEQ00002
000300     05  CUST-ID          PIC 9(6).                               SEQ00003
000400     05  CUST-NAME       PIC X(20) VALUE 'A LONG LITERAL THAT IS CSEQ00004
000500-        'ONTINUED'.                                              SEQ00005
000600     05  BALANCE          PIC S9(7)V99 USAGE IS COMP-3.           SEQ00006
000700     05  FILLER           PIC X(3).                               SEQ00007
"""

FREE = """\
*> free-format copybook as some PC tools write it
01 ACCOUNT.
   05 ACC-NO PIC 9(8) COMP.
   05 ACC-TYPE PIC X. *> inline comment
      88 CURRENT-ACC VALUE 'C'.
      88 SAVINGS-ACC VALUES ARE 'S' 'I'.
   05 RATE PIC SV9(4) COMP-3.
"""


def test_fixed_format_ignores_sequence_comments_and_identification() -> None:
    """Columns 1-6, comment lines and columns 73-80 are ignored; continuation joins literals."""
    cb = parse_copybook(FIXED)
    rec = cb.records[0]
    assert rec.name == "CUSTOMER-REC"
    names = [(f.name, f.offset, f.size) for f in rec.walk()]
    assert names == [
        ("CUSTOMER-REC", 0, 34),
        ("CUST-ID", 0, 6),
        ("CUST-NAME", 6, 20),
        ("BALANCE", 26, 5),
        ("FILLER", 31, 3),
    ]
    assert cb.find("CUST-NAME").value.startswith("A LONG LITERAL THAT IS C")
    assert cb.find("CUST-NAME").value.endswith("ONTINUED")


def test_free_format_with_level_88_conditions() -> None:
    """Free format is detected; 88 levels become named values of their field."""
    cb = parse_copybook(FREE)
    acc_type = cb.find("ACC-TYPE")
    assert acc_type.conditions == {"CURRENT-ACC": ["C"], "SAVINGS-ACC": ["S", "I"]}
    assert cb.find("ACC-NO").usage is Usage.BINARY and cb.find("ACC-NO").size == 4
    rate = cb.find("RATE")
    assert rate.size == 3 and rate.picture is not None and rate.picture.scale == 4


@pytest.mark.parametrize(
    ("pic", "usage", "size"),
    [
        ("9(4)", "COMP", 2),
        ("S9(5)", "COMP", 4),
        ("S9(9)", "BINARY", 4),
        ("S9(10)", "COMP-4", 8),
        ("S9(18)", "COMP-0", 8),
        ("9(20)", "COMP", 9),
        ("S9(4)", "COMP-5", 2),
        ("S9(7)", "COMP-3", 4),
        ("S9(6)", "PACKED-DECIMAL", 4),
        ("9(3)PP", "DISPLAY", 3),
        ("X(7)", "DISPLAY", 7),
        ("A(4)", "DISPLAY", 4),
        ("ZZ,ZZ9.99-", "DISPLAY", 10),
    ],
)
def test_storage_sizes(pic: str, usage: str, size: int) -> None:
    """Each PIC and USAGE occupies the bytes IBM Enterprise COBOL gives it."""
    cb = parse_copybook(f"       01 R.\n           05 F PIC {pic} {usage}.\n")
    assert cb.find("F").size == size


def test_float_usage_sign_separate_occurs_and_redefines() -> None:
    """COMP-1/COMP-2 have no PIC; SIGN SEPARATE adds a byte; REDEFINES shares the offset."""
    cb = parse_copybook(
        "       01 R.\n"
        "           05 F1 COMP-1.\n"
        "           05 F2 USAGE COMP-2.\n"
        "           05 Z1 PIC S9(3) SIGN IS LEADING SEPARATE CHARACTER.\n"
        "           05 T1 PIC X(4) OCCURS 3 TIMES.\n"
        "           05 T2 REDEFINES T1 PIC X(12).\n"
        "           05 G.\n"
        "              10 N PIC 9 OCCURS 2 TO 5 DEPENDING ON Z1.\n"
    )
    assert (cb.find("F1").size, cb.find("F2").size, cb.find("F2").offset) == (4, 8, 4)
    assert (cb.find("Z1").size, cb.find("Z1").sign_leading, cb.find("Z1").sign_separate) == (
        4,
        True,
        True,
    )
    assert cb.find("T1").offset == cb.find("T2").offset == 16
    assert cb.find("N").occurs == 5 and cb.find("N").occurs_min == 2
    assert cb.records[0].size == 16 + 12 + 5


def test_sync_is_ignored_with_a_warning() -> None:
    """SYNC adds no slack bytes and is reported as a warning naming the line."""
    cb = parse_copybook("       01 R.\n           05 A PIC S9(4) COMP SYNC.\n")
    assert cb.records[0].size == 2
    assert cb.warnings and "line 2" in cb.warnings[0] and "SYNC" in cb.warnings[0]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("       01 R.\n           05 A PIC X(3) USAGE NATIONAL.\n", 2, "NATIONAL"),
        ("       01 R.\n           05 A PIC X(3).\n       66 B RENAMES A.\n", 3, "66"),
        ("       01 R.\n           05 A PIC Q(3).\n", 2, "'Q'"),
        ("       01 R.\n           05 A PIC X(3) FROBNICATE.\n", 2, "FROBNICATE"),
        ("       01 R.\n           05 A PIC 9 OCCURS 3 DEPENDING ON NOPE.\n", 2, "NOPE"),
    ],
)
def test_unsupported_input_names_line_and_column(text: str, line: int, fragment: str) -> None:
    """What the parser cannot handle is an error giving line, column and the culprit."""
    with pytest.raises(CopybookError) as info:
        parse_copybook(text)
    assert f"line {line}, column" in str(info.value)
    assert fragment in str(info.value)


def test_column_one_comments_tabs_and_split_clauses() -> None:
    """Star lines from column 1, tabs and a SIGN clause split over lines parse as IBM does."""
    text = (
        "        01  RECORD.\n"
        "***********************************************************************\n"
        "*******                   EDGE CASES\n"
        "          10  ID                   PIC 9(7)  BINARY.\n"
        "          10  AMOUNT    PIC S9(9) SIGN IS\n"
        "\t\t                          LEADING SEPARATE.\n"
        "\t\t  \n"
        "          10  RATE      PIC S9(3).99.\n"
    )
    cb = parse_copybook(text)
    assert [(f.name, f.offset, f.size) for f in cb.records[0].walk()] == [
        ("RECORD", 0, 20),
        ("ID", 0, 4),
        ("AMOUNT", 4, 10),
        ("RATE", 14, 6),
    ]
