"""Files integrators bring: licence headers beside COPY, wide binaries at Micro Focus widths,
and ``govgraph flatfile decode | head -1``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from govgraph.cli import main

LICENCE = """\
      * Licensed under the Apache License, Version 2.0 (the "License");
      * you may not use this file except in compliance with the License.
      * You may obtain a copy of the License at
      *
      *     http://www.apache.org/licenses/LICENSE-2.0
"""

CLAIM = bytes.fromhex("F0F0F4F2" "C3D6D7E840D6C6")  # 0042 'COPY OF'  # fmt: skip


def _decode(
    capsys: pytest.CaptureFixture[str], copybook: Path, data: bytes, tmp_path: Path
) -> list[dict[str, object]]:
    path = tmp_path / "DATA.DAT"
    path.write_bytes(data)
    code = main(["flatfile", "decode", "--copybook", str(copybook), "--file", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return [json.loads(line, parse_float=Decimal) for line in out.out.splitlines()]


def test_copy_in_a_free_copybooks_licence_header_is_a_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A free-format copybook whose licence header says "a copy of the License" expands its
    real COPY statement and keeps 'COPY OF' in a literal as text."""
    (tmp_path / "CLAIMKEY.cpy").write_text("05 CLAIM-ID PIC 9(4).\n")
    book = tmp_path / "CLAIM.cpy"
    book.write_text(
        LICENCE + "01 CLAIM.\n   COPY CLAIMKEY.\n   05 NOTE PIC X(7) VALUE 'COPY OF'.\n"
    )
    assert _decode(capsys, book, CLAIM, tmp_path) == [{"CLAIM_ID": 42, "NOTE": "COPY OF"}]


def test_copy_in_sequence_identification_and_comment_areas_of_a_fixed_copybook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In fixed format COPY in columns 1-6, in a comment line and in columns 73-80 is not a
    statement; the one in the code area is."""
    (tmp_path / "CLAIMKEY.cpy").write_text("       05  CLAIM-ID  PIC 9(4).\n")

    def line(seq: str, indicator: str, code: str, ident: str) -> str:
        return f"{seq:<6}{indicator}{code:<65}{ident:<8}\n"

    book = tmp_path / "CLAIM.cpy"
    book.write_text(
        line("COPY01", "*", " You may obtain a copy of the License at", "COPY OF")
        + line("COPY02", " ", "01  CLAIM.", "COPY X.")
        + line("000300", " ", "    COPY CLAIMKEY.", "COPYRITE")
        + line("000400", " ", "    05  NOTE  PIC X(7) VALUE 'COPY OF'.", "COPY OF")
    )
    assert _decode(capsys, book, CLAIM, tmp_path) == [{"CLAIM_ID": 42, "NOTE": "COPY OF"}]


@pytest.mark.parametrize(
    ("digits", "size"),
    [
        (18, 8),
        (19, 9),
        (20, 9),
        (21, 9),
        (22, 10),
        (26, 11),
        (27, 12),
        (28, 12),
        (37, 16),
        (38, 16),
    ],
)
def test_wide_binary_items_take_micro_focus_widths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], digits: int, size: int
) -> None:
    """A COMP item of more than 18 digits takes the fewest bytes that hold its digits, so the
    field after it starts where Micro Focus and Cobrix put it."""
    book = tmp_path / "WIDE.cpy"
    book.write_text(
        f"       01 R.\n           05 W PIC S9({digits}) COMP.\n           05 T PIC XX.\n"
    )
    code = main(["flatfile", "layout", "--copybook", str(book)])
    rows = {
        parts[1]: (int(parts[2]), int(parts[3]))
        for parts in (line.split() for line in capsys.readouterr().out.splitlines()[1:])
    }
    assert code == 0
    assert rows["W"] == (0, size)
    assert rows["T"] == (size, 2)


def test_wide_binary_values_decode_at_their_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hand-computed records of PIC S9(20) COMP (9 bytes) and PIC 9(28) COMP (12 bytes) decode,
    and the text after each is intact."""
    book = tmp_path / "WIDE.cpy"
    book.write_text(
        "       01 R.\n"
        "           05 A PIC S9(20) COMP.\n"
        "           05 B PIC 9(28) COMP.\n"
        "           05 T PIC XX.\n"
    )
    data = bytes.fromhex(
        "010000000000000000" "000000000000000000000001" "D6D2"  # 2**64, 1, 'OK'
        "FFFFFFFFFFFFFFFFFE" "204FCE5E3E25026110000000" "D5D6"  # -2, 10**28, 'NO'
    )  # fmt: skip
    assert _decode(capsys, book, data, tmp_path) == [
        {"A": 2**64, "B": 1, "T": "OK"},
        {"A": -2, "B": 10**28, "T": "NO"},
    ]


def test_decode_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """``govgraph flatfile decode ... | head -1``: the reader closes the pipe after one line and
    the command ends without a traceback, with 141 (128 + SIGPIPE)."""
    book = tmp_path / "R.cpy"
    book.write_text("       01 R.\n           05 ID PIC 9(6).\n           05 NAME PIC X(94).\n")
    record = bytes.fromhex("F0F0F0F0F4F2") + "NAME".encode("cp037").ljust(94, b"\x40")
    data = tmp_path / "R.DAT"
    data.write_bytes(record * 200_000)
    exe = shutil.which("govgraph", path=str(Path(sys.executable).parent))
    assert exe is not None
    with subprocess.Popen(
        [exe, "flatfile", "decode", "--copybook", str(book), "--file", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert json.loads(first) == {"ID": 42, "NAME": "NAME"}
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert err == ""
    assert code == 141
