"""Record types chosen by a segment field, as REDEFINES of one 01; level-88 names; nesting."""

from __future__ import annotations

from pathlib import Path

from legacy_connectors.flatfile import (
    DecodeOptions,
    FileSchema,
    FlatFileConnector,
    Framing,
    compile_decoder,
    decode_with_policy,
    frame_records,
    parse_copybook,
)

SEGMENTED = """\
       01  COMPANY-REC.
           05  SEGMENT-ID        PIC X.
           05  COMPANY-ID        PIC X(6).
           05  STATIC-DETAILS.
               10  COMPANY-NAME  PIC X(10).
               10  TAX-NO        PIC 9(6) COMP-3.
           05  CONTACTS REDEFINES STATIC-DETAILS.
               10  PHONE-NUMBER  PIC X(8).
               10  CONTACT-KIND  PIC X.
                   88  KIND-HOME     VALUE 'H'.
                   88  KIND-OFFICE   VALUE 'O' 'W'.
"""


def _schema() -> FileSchema:
    cb = parse_copybook(SEGMENTED)
    return FileSchema(
        cb,
        DecodeOptions(condition_names=True),
        segment_field="SEGMENT-ID",
        types={"C": "STATIC-DETAILS", "P": "CONTACTS"},
        data_types=["C", "P"],
    )


COMPANY = "CACME01".encode("cp037") + "ACME LTD  ".encode("cp037") + bytes.fromhex("1234567F")
CONTACT = "PACME01".encode("cp037") + "01632960".encode("cp037") + "W".encode("cp037")


def test_redefines_segments_decode_only_their_branch() -> None:
    """Each segment value selects one REDEFINES branch; common fields are kept."""
    schema = _schema()
    layout, company = schema.decode(COMPANY)
    assert layout == "STATIC-DETAILS"
    assert company == {
        "SEGMENT_ID": "C",
        "COMPANY_ID": "ACME01",
        "STATIC_DETAILS": {"COMPANY_NAME": "ACME LTD", "TAX_NO": 1234567},
    }
    layout, contact = schema.decode(CONTACT)
    assert layout == "CONTACTS"
    assert contact == {
        "SEGMENT_ID": "P",
        "COMPANY_ID": "ACME01",
        "CONTACTS": {
            "PHONE_NUMBER": "01632960",
            "CONTACT_KIND": "W",
            "CONTACT_KIND_CONDITION": "KIND_OFFICE",
        },
    }


def test_bad_field_in_selected_branch_is_corrupt() -> None:
    """A bad value inside the chosen branch is corrupt, not hidden as a REDEFINES view."""
    schema = _schema()
    bad = COMPANY[:-1] + b"\x77"
    _layout, values = schema.decode(bad, "null_fields")
    assert values["_corrupt_fields"] == ["STATIC_DETAILS.TAX_NO"]


async def test_connector_serves_many_segment_types_per_key(tmp_path: Path) -> None:
    """A key with a company segment and a contact segment returns both, in file order."""
    cpy = tmp_path / "COMPANY.cpy"
    cpy.write_text(SEGMENTED)
    data = tmp_path / "COMPANY.DAT"
    data.write_bytes(frame_records([COMPANY, CONTACT], Framing("VB")))
    conn = FlatFileConnector.from_options(
        "companies",
        {
            "copybook": str(cpy),
            "file": str(data),
            "recfm": "VB",
            "key_field": "COMPANY-ID",
            "many": True,
            "record_types": {
                "field": "SEGMENT-ID",
                "types": {"C": "STATIC-DETAILS", "P": "CONTACTS"},
            },
        },
    )
    await conn.open()
    try:
        [records] = await conn.load_many(["ACME01"])
        assert isinstance(records, list)
        assert [sorted(r) for r in records] == [
            ["COMPANY_ID", "SEGMENT_ID", "STATIC_DETAILS"],
            ["COMPANY_ID", "CONTACTS", "SEGMENT_ID"],
        ]
    finally:
        await conn.aclose()


def test_nested_occurs_and_odo_in_groups() -> None:
    """OCCURS inside OCCURS gives lists of lists; an ODO inside a group shifts what follows."""
    cb = parse_copybook(
        "       01 R.\n"
        "          05 ROWS OCCURS 2.\n"
        "             10 CELL PIC S9(3) COMP-3 OCCURS 3.\n"
        "          05 HDR.\n"
        "             10 CNT PIC 9.\n"
        "             10 V PIC X OCCURS 0 TO 2 DEPENDING ON CNT.\n"
        "          05 LAST-ONE PIC X.\n"
    )
    data = bytes.fromhex("001C002C003C") + bytes.fromhex("004D005D006D") + "1AZ".encode("cp037")
    values = decode_with_policy(
        compile_decoder(cb.records[0], DecodeOptions()), data, "fail_record"
    )
    assert values == {
        "ROWS": [{"CELL": [1, 2, 3]}, {"CELL": [-4, -5, -6]}],
        "HDR": {"CNT": 1, "V": ["A"]},
        "LAST_ONE": "Z",
    }


def test_copybook_directives_and_qualified_names() -> None:
    """EJECT is skipped; OF-qualified names and a missing last period work."""
    cb = parse_copybook(
        "           EJECT\n"
        "       01 R.\n"
        "          05 G.\n"
        "             10 N PIC 9.\n"
        "          05 A PIC X OCCURS 1 TO 3 DEPENDING ON N OF G.\n"
        "          05 B REDEFINES A OF R PIC X(3)\n"
    )
    assert cb.warnings == []
    assert cb.find("A").depending_on == "N"
    assert cb.find("B").offset == cb.find("A").offset == 1


def test_condition_names_with_ranges_and_figuratives() -> None:
    """88 levels with THRU ranges and ZERO/SPACES name the values a field holds."""
    cb = parse_copybook(
        "       01 R.\n"
        "          05 SCORE PIC 9(3).\n"
        "             88 NONE-YET VALUE ZERO.\n"
        "             88 LOW VALUE 1 THRU 49.\n"
        "             88 HIGH VALUES ARE 50 THROUGH 100.\n"
        "          05 FLAG PIC X.\n"
        "             88 UNSET VALUE SPACES.\n"
        "             88 SET-ON VALUE 'Y'.\n"
    )
    schema = FileSchema(cb, DecodeOptions(condition_names=True))
    assert schema.conditions("SCORE") == {"NONE_YET": [0], "LOW": [(1, 49)], "HIGH": [(50, 100)]}
    for text, score_name, flag_name in (
        ("000 ", "NONE_YET", "UNSET"),
        ("042Y", "LOW", "SET_ON"),
        ("100N", "HIGH", None),
    ):
        _layout, values = schema.decode(text.encode("cp037"))
        assert values["SCORE_CONDITION"] == score_name
        assert values["FLAG_CONDITION"] == flag_name
