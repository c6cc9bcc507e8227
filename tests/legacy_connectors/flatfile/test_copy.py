"""COPY statements in copybooks: members found on the search path, REPLACING, nesting, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from govgraph.cli import main
from legacy_connectors.flatfile import (
    CopybookError,
    FlatFileConnector,
    load_copybook,
    parse_copybook,
    schema_from_settings,
)
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand
from legacy_connectors.flatfile.writes.commands import input_settings

COPY_DATA = Path(__file__).parents[2] / "data" / "flatfile" / "copy"
MEMBERS = COPY_DATA / "members"

CLAIMS = bytes.fromhex(
    "F0F0F4F2F1F7" "C8C2" "0012345D" "F1F2"  # 004217 HB -123.45 12
    "F0F0F0F0F0F9" "C3E3" "0010000C" "F0F4"  # 000009 CT +100.00 04
)  # fmt: skip


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _layout_rows(out: str) -> dict[str, tuple[int, int]]:
    rows: dict[str, tuple[int, int]] = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if parts[0] != "88":
            rows[parts[1]] = (int(parts[2]), int(parts[3]))
    return rows


def test_record_from_fixed_and_free_members_decodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record built from a fixed member beside the copybook and a free one in a
    --copybook-dir decodes hand-computed EBCDIC bytes."""
    data = tmp_path / "CLAIMS.DAT"
    data.write_bytes(CLAIMS)
    code = main(
        [
            "flatfile", "decode", "--copybook", str(COPY_DATA / "CLAIM.cpy"),
            "--copybook-dir", str(MEMBERS), "--file", str(data), "--condition-names",
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    records = [json.loads(line, parse_float=Decimal) for line in out.out.splitlines()]
    assert records == [
        {
            "CLAIM_ID": 4217,
            "CLAIM_TYPE": "HB",
            "CLAIM_TYPE_CONDITION": "CLAIM_HOUSING",
            "PAY_AMOUNT": Decimal("-123.45"),
            "PAY_WEEKS": 12,
        },
        {
            "CLAIM_ID": 9,
            "CLAIM_TYPE": "CT",
            "CLAIM_TYPE_CONDITION": None,
            "PAY_AMOUNT": Decimal("100.00"),
            "PAY_WEEKS": 4,
        },
    ]


def test_layout_shows_expanded_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    """flatfile layout lists the members' fields with offsets after expansion."""
    code = main(
        [
            "flatfile", "layout", "--copybook", str(COPY_DATA / "CLAIM.cpy"),
            "--copybook-dir", str(MEMBERS),
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert _layout_rows(out.out) == {
        "CLAIM-REC": (0, 14),
        "CLAIM-ID": (0, 6),
        "CLAIM-TYPE": (6, 2),
        "PAY-AMOUNT": (8, 4),
        "PAY-WEEKS": (12, 2),
    }
    assert "88 CLAIM-HOUSING" in out.out


def test_missing_member_exits_2_naming_member_copybook_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A COPY whose member is nowhere on the path exits 2 naming the member, file and line."""
    _write(
        tmp_path,
        {"MAIN.cpy": "       01 R.\n          05 A PIC X.\n          COPY NOSUCH.\n"},
    )
    code = main(["flatfile", "layout", "--copybook", str(tmp_path / "MAIN.cpy")])
    err = capsys.readouterr().err
    assert code == 2
    assert "MAIN.cpy, line 3, column 11" in err
    assert "COPY member 'NOSUCH' not found" in err and str(tmp_path) in err


def test_member_not_on_the_path_without_its_folder(tmp_path: Path) -> None:
    """Without --copybook-dir the member folder is not searched: decode exits 2."""
    data = tmp_path / "CLAIMS.DAT"
    data.write_bytes(CLAIMS)
    args = ["flatfile", "decode", "--copybook", str(COPY_DATA / "CLAIM.cpy"), "--file", str(data)]
    assert main(args) == 2


def test_cycle_is_reported_with_the_chain(tmp_path: Path) -> None:
    """A member that copies a member that copies it back is an error naming the cycle."""
    _write(
        tmp_path,
        {
            "MAIN.cpy": "01 R.\n   COPY LOOPA.\n",
            "LOOPA.cpy": "05 A PIC X.\nCOPY LOOPB.\n",
            "LOOPB.cpy": "*> second member\n05 B PIC X.\nCOPY LOOPA.\n",
        },
    )
    with pytest.raises(CopybookError) as info:
        load_copybook(tmp_path / "MAIN.cpy")
    message = str(info.value)
    assert "LOOPB.cpy, line 3, column 1" in message
    assert "cycle: LOOPA.cpy -> LOOPB.cpy -> LOOPA.cpy" in message


def test_copybook_copying_itself_is_a_cycle(tmp_path: Path) -> None:
    """The top copybook counts in the chain: a member copying it back is a cycle."""
    _write(tmp_path, {"SELF.cpy": "01 R.\n   05 A PIC X.\n   COPY SELF.\n"})
    with pytest.raises(CopybookError, match=r"cycle: SELF\.cpy -> SELF\.cpy"):
        load_copybook(tmp_path / "SELF.cpy")


def test_replacing_pseudo_text_identifier_and_literal(tmp_path: Path) -> None:
    """Pseudo-text (several words), an identifier (whole words only) and a literal are
    replaced."""
    _write(
        tmp_path,
        {
            "PERSON.cpy": (
                "05 NAME       PIC X(4).\n"
                "05 NAME-KIND  PIC X.\n"
                "   88 NAME-OK VALUE 'N'.\n"
                "05 TOWN       PIC X(4).\n"
            ),
        },
    )
    cb = parse_copybook(
        "       01 R.\n"
        "           COPY PERSON REPLACING ==PIC X(4).== BY ==PIC X(10).==\n"
        "                NAME BY SURNAME\n"
        "                'N' BY 'Y'.\n",
        copybook_dirs=[tmp_path],
    )
    assert [(f.name, f.offset, f.size) for f in cb.records[0].children] == [
        ("SURNAME", 0, 10),
        ("NAME-KIND", 10, 1),
        ("TOWN", 11, 10),
    ]
    assert cb.find("NAME-KIND").conditions == {"NAME-OK": ["Y"]}


def test_tag_prefixes_with_colons_and_parentheses(tmp_path: Path) -> None:
    """One member copied twice gets two prefixes, by :TAG: and by (TAG), and LEADING works."""
    _write(
        tmp_path,
        {
            "ADDR.cpy": "10 :T:-LINE PIC X(3).\n10 :T:-CODE PIC X(2).\n",
            "PHONE.cpy": "10 (P)-NUM PIC 9(4).\n10 WS-EXT PIC 9(2).\n",
        },
    )
    cb = parse_copybook(
        "01 R.\n"
        "   05 HOME.\n"
        "      COPY ADDR REPLACING ==:T:== BY ==HOME==.\n"
        "   05 WORK.\n"
        "      COPY ADDR REPLACING ==:T:== BY ==WORK==.\n"
        "   05 TEL.\n"
        "      COPY PHONE REPLACING ==(P)== BY ==TEL== LEADING ==WS-== BY ==TEL-==.\n",
        copybook_dirs=[tmp_path],
    )
    names = [(f.path(), f.offset) for f in cb.records[0].walk() if not f.children]
    assert names == [
        ("R.HOME.HOME-LINE", 0),
        ("R.HOME.HOME-CODE", 3),
        ("R.WORK.WORK-LINE", 5),
        ("R.WORK.WORK-CODE", 8),
        ("R.TEL.TEL-NUM", 10),
        ("R.TEL.TEL-EXT", 14),
    ]


def test_nested_copy_searches_the_member_folder_and_outer_replacing_applies(
    tmp_path: Path,
) -> None:
    """A member's own COPY finds its member beside it; the outer REPLACING covers both."""
    _write(
        tmp_path,
        {
            "top/MAIN.cpy": "       01 R.\n           COPY OUTER REPLACING ==:X:== BY ==CL==.\n",
            "lib/OUTER.cpy": "05 :X:-HEAD PIC X(2).\n05 :X:-BODY.\n   COPY INNER.\n",
            "lib/INNER.cpy": "      * inner member, fixed format\n"
            "           10 :X:-ITEM PIC 9(3) OCCURS 2.\n",
        },
    )
    cb = load_copybook(tmp_path / "top" / "MAIN.cpy", copybook_dirs=[tmp_path / "lib"])
    item = cb.find("CL-ITEM")
    assert item.path() == "R.CL-BODY.CL-ITEM"
    assert (item.offset, item.total_size, cb.records[0].size) == (2, 6, 8)


def test_member_errors_name_the_member_file_and_its_line(tmp_path: Path) -> None:
    """A bad clause inside a member is reported at the member's own file and line."""
    _write(tmp_path, {"BAD.cpy": "05 A PIC X.\n05 B PIC X WIBBLE.\n"})
    _write(tmp_path, {"MAIN.cpy": "01 R.\n   COPY BAD.\n"})
    with pytest.raises(CopybookError, match=r"BAD\.cpy, line 2, column 12: .*'WIBBLE'"):
        load_copybook(tmp_path / "MAIN.cpy")


def test_member_names_case_suffixes_library_and_literals(tmp_path: Path) -> None:
    """Members are found by name in any case with .cpy/.cbl, in a library sub-folder, or by a
    quoted file name."""
    _write(
        tmp_path,
        {
            "one.CBL": "05 ONE PIC X.\n",
            "SYSLIB/TWO.cpy": "05 TWO PIC X(2).\n",
            "TWO.cpy": "05 WRONG PIC X(9).\n",
            "three.txt": "05 THREE PIC X(3).\n",
        },
    )
    cb = parse_copybook(
        "01 R.\n   COPY ONE.\n   COPY TWO OF SYSLIB.\n   COPY 'three.txt'.\n",
        copybook_dirs=[tmp_path],
    )
    assert [(f.name, f.size) for f in cb.records[0].children] == [
        ("ONE", 1),
        ("TWO", 2),
        ("THREE", 3),
    ]


def test_unclosed_pseudo_text_is_an_error() -> None:
    """REPLACING pseudo-text without its closing == is an error at where it opens."""
    with pytest.raises(CopybookError, match=r"line 2, column 21: pseudo-text not closed"):
        parse_copybook("01 R.\n   COPY X REPLACING ==A BY ==B.\n")


async def test_connector_settings_copybook_dirs(tmp_path: Path) -> None:
    """FlatFileSettings.copybook_dirs lets the connector serve a record built from members."""
    data = tmp_path / "CLAIMS.DAT"
    data.write_bytes(CLAIMS)
    options = {
        "copybook": str(COPY_DATA / "CLAIM.cpy"),
        "copybook_dirs": [str(MEMBERS)],
        "file": str(data),
        "key_field": "CLAIM-ID",
    }
    conn = FlatFileConnector.from_options("claims", options)
    assert isinstance(conn, FlatFileConnector)
    await conn.open()
    try:
        found, missing = await conn.load_many(["000009", "000001"])
        assert isinstance(found, dict) and found["PAY_AMOUNT"] == Decimal("100.00")
        assert missing is None
    finally:
        await conn.aclose()


def test_replacing_pairs_apply_once_in_order(tmp_path: Path) -> None:
    """The first matching pair wins and replaced text is not scanned again; TRAILING works."""
    _write(tmp_path, {"M.cpy": "05 AA PIC X.\n05 BB PIC X(2).\n05 CC-IN PIC X(3).\n"})
    cb = parse_copybook(
        "01 R.\n   COPY M REPLACING AA BY BB BB BY CC TRAILING ==-IN== BY ==-OUT==.\n",
        copybook_dirs=[tmp_path],
    )
    assert [(f.name, f.size) for f in cb.records[0].children] == [
        ("BB", 1),
        ("CC", 2),
        ("CC-OUT", 3),
    ]


def test_write_command_copybook_dirs_reach_its_settings(tmp_path: Path) -> None:
    """A write command's copybook_dirs are used to load its input file's copybook."""
    _write(
        tmp_path,
        {
            "cmd/TX.cpy": "01 TX-HDR.\n   05 TX-TYPE PIC X.\n01 TX-DTL.\n   COPY TXBODY.\n",
            "shared/TXBODY.cpy": "   05 TX-TYPE PIC X.\n   05 TX-ID PIC X(8).\n",
        },
    )
    spec = FlatFileCommand.model_validate(
        {
            "copybook": str(tmp_path / "cmd" / "TX.cpy"),
            "copybook_dirs": [str(tmp_path / "shared")],
            "directory": str(tmp_path / "in"),
            "file_prefix": "TX.D",
            "segment_field": "TX-TYPE",
            "types": {"H": "TX-HDR", "D": "TX-DTL", "T": "TX-HDR"},
            "trailer_count_field": "TX-TYPE",
            "delivery_id_field": "TX-ID",
        }
    )
    schema = schema_from_settings(input_settings(spec, tmp_path / "in" / "TX.D261127"))
    assert schema.field("TX-DTL", "TX-ID").offset == 1


def test_library_name_is_required_after_of() -> None:
    """``COPY X OF.`` is an error pointing at the period, not a library called ``.``."""
    with pytest.raises(CopybookError, match=r"line 2, column 13: COPY X OF needs a library"):
        parse_copybook("01 R.\n   COPY X OF.\n")
