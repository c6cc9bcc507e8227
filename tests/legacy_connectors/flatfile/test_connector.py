"""The flatfile connector over real files: framing variants, generations, corrupt records."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from legacy_connectors import CorruptRecordError, UpstreamUnavailableError
from legacy_connectors.flatfile import (
    FlatFileConnector,
    FlatFileSettings,
    Framing,
    append_records,
    write_batch,
)
from legacy_connectors.flatfile.writes.writer import frame_records

COPYBOOK = """\
      * ACCOUNTS FILE: H HEADER, D DETAIL, T TRAILER
       01  ACC-HEADER.
           05  REC-TYPE        PIC X.
           05  RUN-DATE        PIC 9(6).
       01  ACC-DETAIL.
           05  REC-TYPE        PIC X.
           05  ACC-KEY         PIC X(6).
           05  HOLDER          PIC X(10).
           05  BALANCE         PIC S9(5)V99 COMP-3.
       01  ACC-TRAILER.
           05  REC-TYPE        PIC X.
           05  REC-COUNT       PIC 9(5).
           05  BAL-TOTAL       PIC S9(9)V99 COMP-3.
"""


def _detail(key: str, holder: str, packed_hex: str) -> bytes:
    return (
        "D".encode("cp037")
        + key.ljust(6).encode("cp037")
        + holder.ljust(10).encode("cp037")
        + bytes.fromhex(packed_hex)
    )


HEADER = "H261127".encode("cp037")
DETAILS = [
    _detail("K1", "ALICE", "0012345C"),  # 123.45
    _detail("K2", "BOB", "0000100D"),  # -1.00
    _detail("K1", "ALICE 2", "0000001C"),  # 0.01
]


def _trailer(count: int, total_hex: str) -> bytes:
    return "T".encode("cp037") + f"{count:05d}".encode("cp037") + bytes.fromhex(total_hex)


GOOD_TRAILER = _trailer(3, "00000012246C")  # 123.45 - 1.00 + 0.01 = 122.46


def _options(tmp: Path, **extra: Any) -> dict[str, Any]:
    cpy = tmp / "ACCOUNTS.cpy"
    cpy.write_text(COPYBOOK)
    opts: dict[str, Any] = {
        "copybook": str(cpy),
        "recfm": "VB",
        "record_types": {
            "field": "REC-TYPE",
            "types": {"H": "ACC-HEADER", "D": "ACC-DETAIL", "T": "ACC-TRAILER"},
            "data": ["D"],
        },
        "key_field": "ACC-KEY",
        "trailer": {
            "record_type": "T",
            "count_field": "REC-COUNT",
            "hash_field": "BAL-TOTAL",
            "hash_of": "BALANCE",
        },
    }
    opts.update(extra)
    return opts


async def _open(opts: dict[str, Any]) -> FlatFileConnector:
    conn = FlatFileConnector.from_options("accounts", opts)
    assert isinstance(conn, FlatFileConnector)
    await conn.open()
    return conn


@pytest.mark.parametrize(
    "framing",
    [
        Framing("VB"),
        Framing("VB", endian="little"),
        Framing("VB", rdw_includes_header=False, bdw_includes_header=False),
        Framing("V"),
        Framing("V", rdw_includes_header=False),
        Framing("V", endian="little", rdw_includes_header=False),
    ],
    ids=lambda f: f.describe(),
)
async def test_variable_framings_are_detected(tmp_path: Path, framing: Framing) -> None:
    """RDW/BDW byte order and whether lengths count the header are detected by default."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, GOOD_TRAILER], framing))
    conn = await _open(_options(tmp_path, file=str(path), recfm=framing.recfm, many=True))
    try:
        [k1, k2, none] = await conn.load_many(["K1", "K2", "K9"])
        assert isinstance(k1, list) and [r["HOLDER"] for r in k1] == ["ALICE", "ALICE 2"]
        assert k1[0]["BALANCE"] == Decimal("123.45")
        assert isinstance(k2, list) and k2[0]["BALANCE"] == Decimal("-1.00")
        assert none == []
        health = await conn.health()
        assert health.facts["framing"] == framing.describe()
    finally:
        await conn.aclose()


async def test_fixed_blocked_file_single_record_per_key(tmp_path: Path) -> None:
    """FB files are read at LRECL steps; without many a key gives one record or None."""
    path = tmp_path / "ACC.FB"
    path.write_bytes(frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("FB", lrecl=24)))
    conn = await _open(_options(tmp_path, file=str(path), recfm="FB", lrecl=24))
    try:
        k1, k2, k9 = await conn.load_many(["K1", "K2", "K9"])
        assert isinstance(k1, dict) and k1["HOLDER"] == "ALICE"
        assert isinstance(k2, dict) and k2["ACC_KEY"] == "K2"
        assert k9 is None
    finally:
        await conn.aclose()


async def test_truncated_file_is_reported_not_half_read(tmp_path: Path) -> None:
    """A file cut mid-record is rejected: health is down and loads raise."""
    path = tmp_path / "ACC.DAT"
    data = frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("V"))
    path.write_bytes(data[:-5])
    conn = await _open(_options(tmp_path, file=str(path), recfm="V", rdw_includes_header=True))
    try:
        health = await conn.health()
        assert health.status == "down"
        assert "truncated" in health.detail
        with pytest.raises(UpstreamUnavailableError):
            await conn.load_many(["K1"])
    finally:
        await conn.aclose()


async def test_new_generation_swaps_in_and_bad_one_is_rejected(tmp_path: Path) -> None:
    """A newer valid file replaces the old; one failing its trailer check is rejected."""
    folder = tmp_path / "in"
    folder.mkdir()
    first = frame_records([HEADER, DETAILS[0], _trailer(1, "00000012345C")], Framing("VB"))
    (folder / "ACC.D261126").write_bytes(first)
    opts = _options(tmp_path, directory=str(folder), pattern="ACC.D*", poll_interval_s=3600)
    conn = await _open(opts)
    try:
        assert (await conn.load_many(["K2"])) == [None]
        (folder / "ACC.D261127").write_bytes(
            frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("VB"))
        )
        assert await conn.refresh()
        [k2] = await conn.load_many(["K2"])
        assert isinstance(k2, dict) and k2["HOLDER"] == "BOB"
        assert (await conn.health()).facts["generation"] == "D261127"
        (folder / "ACC.D261128").write_bytes(
            frame_records([HEADER, *DETAILS, _trailer(3, "00000099999C")], Framing("VB"))
        )
        assert not await conn.refresh()
        health = await conn.health()
        assert health.facts["file"] == "ACC.D261127"
        assert health.facts["rejected_files"] == 1
        assert "BAL-TOTAL" in health.facts["last_error"]
        [k2] = await conn.load_many(["K2"])
        assert isinstance(k2, dict)
    finally:
        await conn.aclose()


async def test_trailer_count_mismatch_rejects_file(tmp_path: Path) -> None:
    """A trailer whose record count disagrees with the file is a file-level integrity error."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, _trailer(4, "00000012246C")], Framing("VB")))
    conn = await _open(_options(tmp_path, file=str(path)))
    try:
        health = await conn.health()
        assert health.status == "down" and "REC-COUNT" in health.detail
    finally:
        await conn.aclose()


BAD = _detail("K3", "CAROL", "00A2345C")


async def test_corrupt_record_fails_only_its_key(tmp_path: Path) -> None:
    """fail_record: the bad key's result names file, record number, offset and field."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, BAD], Framing("VB")))
    conn = await _open(_options(tmp_path, file=str(path), trailer=None))
    try:
        k1, k3 = await conn.load_many(["K1", "K3"])
        assert isinstance(k1, dict)
        assert isinstance(k3, CorruptRecordError)
        text = str(k3)
        assert "ACC.DAT" in text and "record 5" in text and "BALANCE" in text
        assert "byte offset" in text and k3.service == "accounts"
        assert (await conn.health()).facts["bad_records"] == 1
    finally:
        await conn.aclose()


async def test_corrupt_record_kept_with_null_fields(tmp_path: Path) -> None:
    """null_fields: the record is served, the bad field None and listed."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, BAD], Framing("VB")))
    opts = _options(tmp_path, file=str(path), trailer=None, corrupt_policy="null_fields")
    conn = await _open(opts)
    try:
        [k3] = await conn.load_many(["K3"])
        assert isinstance(k3, dict)
        assert k3["HOLDER"] == "CAROL" and k3["BALANCE"] is None
        assert k3["_corrupt_fields"] == ["BALANCE"]
        health = await conn.health()
        assert health.status == "degraded" and health.facts["bad_records"] == 1
    finally:
        await conn.aclose()


async def test_append_updates_trailer_and_is_picked_up(tmp_path: Path) -> None:
    """append_records adds records before the trailer, fixes count and hash, replaces the file."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("VB")))
    opts = _options(tmp_path, file=str(path), poll_interval_s=3600)
    conn = await _open(opts)
    try:
        settings = FlatFileSettings.model_validate(opts)
        append_records(
            path, settings, [{"ACC_KEY": "K7", "HOLDER": "DAN", "BALANCE": Decimal("10.50")}]
        )
        os.utime(path, ns=(1, 1))
        assert await conn.refresh()
        [k7] = await conn.load_many(["K7"])
        assert isinstance(k7, dict) and k7["BALANCE"] == Decimal("10.50")
        health = await conn.health()
        assert health.facts["data_records"] == 4
    finally:
        await conn.aclose()


async def test_scan_yields_every_data_record(tmp_path: Path) -> None:
    """scan() gives (key, record) for each data record in file order."""
    path = tmp_path / "ACC.DAT"
    path.write_bytes(frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("VB")))
    conn = await _open(_options(tmp_path, file=str(path)))
    try:
        seen = [(k, r["HOLDER"]) async for batch in conn.scan(2) for k, r in batch]
        assert seen == [("K1", "ALICE"), ("K2", "BOB"), ("K1", "ALICE 2")]
    finally:
        await conn.aclose()


async def test_wrong_rdw_inside_a_block_loses_only_that_block_tail(tmp_path: Path) -> None:
    """A bad RDW in one VB block skips the rest of that block; other blocks still serve."""
    records = [HEADER, DETAILS[0], DETAILS[1], _detail("K4", "EVE", "0000500C")]
    rdw_len = 4 + len(DETAILS[1])
    data = bytearray(frame_records(records, Framing("VB"), block_size=4 + 2 * rdw_len))
    second_block = int.from_bytes(data[:2], "big")
    k4_rdw = second_block + 4 + rdw_len
    data[k4_rdw : k4_rdw + 2] = b"\x7f\xff"
    path = tmp_path / "ACC.DAT"
    path.write_bytes(bytes(data))
    conn = await _open(_options(tmp_path, file=str(path), trailer=None))
    try:
        k1, k2, k4 = await conn.load_many(["K1", "K2", "K4"])
        assert isinstance(k1, dict) and isinstance(k2, dict)
        assert k4 is None
        health = await conn.health()
        assert health.status == "degraded"
        assert health.facts["damaged_blocks"] == 1 and health.facts["bad_records"] == 1
        assert health.facts["framing_errors"][0].startswith("block at byte offset")
    finally:
        await conn.aclose()


async def test_ascii_line_file_with_numeric_key(tmp_path: Path) -> None:
    """An ASCII text-line file keyed by a zoned number: '1' and '000001' find the same order."""
    data = Path(__file__).parents[2] / "data" / "flatfile"
    conn = await _open(
        {
            "copybook": str(data / "ORDERS.cpy"),
            "file": str(data / "ORDERS.D"),
            "recfm": "D",
            "encoding": "ascii",
            "key_field": "ORDER-NO",
        }
    )
    try:
        one, padded, two, nope, junk = await conn.load_many(["1", "000001", "2", "3", "x1"])
        assert isinstance(one, dict) and one["CUSTOMER_NAME"] == "ACME LTD"
        assert padded == one
        assert isinstance(two, dict) and two["PRICE"] == Decimal("1.01")
        assert nope is None and junk is None
        keys = [k async for batch in conn.scan() for k, _ in batch]
        assert keys == ["1", "2"]
    finally:
        await conn.aclose()


def test_settings_reject_inconsistent_options(tmp_path: Path) -> None:
    """Unknown code pages, both file and directory, or unknown data types fail validation."""
    base = _options(tmp_path, file="x")
    for bad in (
        {"encoding": "cp999"},
        {"directory": "y"},
        {"record_types": {"field": "REC-TYPE", "types": {"D": "ACC-DETAIL"}, "data": ["X"]}},
    ):
        with pytest.raises(ValueError):
            FlatFileSettings.model_validate({**base, **bad})


async def test_background_poll_picks_up_a_new_generation(tmp_path: Path) -> None:
    """Without any call, the poller swaps in a newer file dropped into the directory."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ACC.D261126").write_bytes(
        frame_records([HEADER, DETAILS[0], _trailer(1, "00000012345C")], Framing("VB"))
    )
    opts = _options(tmp_path, directory=str(folder), pattern="ACC.D*", poll_interval_s=0.02)
    conn = await _open(opts)
    try:
        (folder / "ACC.D261127").write_bytes(
            frame_records([HEADER, *DETAILS, GOOD_TRAILER], Framing("VB"))
        )
        for _ in range(500):
            if (await conn.health()).facts["file"] == "ACC.D261127":
                break
            await asyncio.sleep(0.01)
        [k2] = await conn.load_many(["K2"])
        assert isinstance(k2, dict) and k2["HOLDER"] == "BOB"
    finally:
        await conn.aclose()


async def test_write_batch_fills_segments_and_trailer(tmp_path: Path) -> None:
    """write_batch sets each record type and computes the trailer count and hash total."""
    path = tmp_path / "ACC.DAT"
    opts = _options(tmp_path, file=str(path))
    settings = FlatFileSettings.model_validate(opts)
    details = [
        {"ACC_KEY": "K1", "HOLDER": "ALICE", "BALANCE": Decimal("123.45")},
        {"ACC_KEY": "K2", "HOLDER": "BOB", "BALANCE": Decimal("-1.00")},
    ]
    assert write_batch(path, settings, details, header={"RUN_DATE": 261127}) == 2
    data = path.read_bytes()
    assert HEADER in data and _detail("K2", "BOB", "0000100D") in data
    assert data.endswith(_trailer(2, "00000012245C"))
    conn = await _open(opts)
    try:
        assert (await conn.health()).status == "up"
    finally:
        await conn.aclose()
