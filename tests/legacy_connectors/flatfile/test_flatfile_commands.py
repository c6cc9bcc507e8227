"""Flat-file write commands: transactions appended to the day's EBCDIC input batch file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.writes import ADDRESS_COPYBOOK, commands
from legacy_connectors.errors import InvalidInputError
from legacy_connectors.flatfile import FlatFileConnector, write_batch
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand
from legacy_connectors.flatfile.writes.commands import InputBatch, input_settings

ADDRESS = {"lines": ["21 Caña Street", "Ünit 4"], "town": "Lowmoor", "postcode": "LM3 2CS"}


def _spec(tmp_path: Path) -> FlatFileCommand:
    options = dict(commands("benefits", tmp_path)["change_address"])
    return FlatFileCommand.model_validate(options)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[FlatFileConnector]:
    """A flat-file source (an empty served file) whose ``change_address`` writes under tmp."""
    spec = _spec(tmp_path)
    served_file = tmp_path / "served.dat"
    settings = input_settings(spec, served_file)
    write_batch(served_file, settings, [], header={"SYSTEM_ID": "TEST"})
    options = {
        **settings.model_dump(exclude={"commands"}),
        "commands": {"change_address": spec.model_dump()},
    }
    connector = FlatFileConnector.from_options("benefits", options)
    assert isinstance(connector, FlatFileConnector)
    await connector.open()
    yield connector
    await connector.aclose()


async def _read(spec: FlatFileCommand, path: Path, key: str) -> list[dict[str, Any]]:
    settings = input_settings(spec, path).model_dump(exclude={"commands", "key_field"})
    reader = FlatFileConnector.from_options("in", {**settings, "key_field": "NINO", "many": True})
    await reader.open()
    try:
        [records] = await reader.load_many([key])
    finally:
        await reader.aclose()
    assert isinstance(records, list), records
    return records


async def test_transactions_are_appended_once_with_the_trailer_count_updated(
    tmp_path: Path, served: FlatFileConnector
) -> None:
    """Header, details and trailer in cp037; a resent delivery id is a DUPLICATE, not a record."""
    spec = _spec(tmp_path)
    first = await served.submit(
        "change_address", {"nino": "AB123456C", "address": ADDRESS}, delivery_id="ff-1"
    )
    assert first["outcome"] == "ACCEPTED"
    path = spec.directory / first["file"]
    second = await served.submit(
        "change_address", {"nino": "AB123456C", "address": ADDRESS}, delivery_id="ff-2"
    )
    again = await served.submit(
        "change_address", {"nino": "AB123456C", "address": ADDRESS}, delivery_id="ff-1"
    )
    assert (second["outcome"], again["outcome"]) == ("ACCEPTED", "DUPLICATE")
    raw = path.read_bytes()
    assert len(raw) == 4 * 200
    assert raw[0:1] == "H".encode("cp037") and raw[600:601] == "T".encode("cp037")
    assert raw[601:610] == "000000002".encode("cp037")
    records = await _read(spec, path, "AB123456C")
    assert [r["DELIVERY_ID"] for r in records] == ["ff-1", "ff-2"]
    assert records[0]["ADDRESS_LINE"] == ["21 Caña Street", "Ünit 4", ""]
    assert records[0]["POSTCODE"] == "LM3 2CS"


async def test_concurrent_submissions_of_one_delivery_append_one_record(
    tmp_path: Path, served: FlatFileConnector
) -> None:
    """Ten at once with the same delivery id, from two batch objects: one record."""
    spec = _spec(tmp_path)
    other = InputBatch("benefits", "change_address", spec)
    payload = {"nino": "CD654321A", "address": ADDRESS}
    outcomes = await asyncio.gather(
        *(served.submit("change_address", payload, delivery_id="same") for _ in range(5)),
        *(other.submit(payload, "same") for _ in range(5)),
    )
    assert sorted(o["outcome"] for o in outcomes) == ["ACCEPTED"] + ["DUPLICATE"] * 9
    [path] = sorted(spec.directory.glob(f"{spec.file_prefix}*"))
    assert len(await _read(spec, path, "CD654321A")) == 1


async def test_a_missing_payload_field_writes_nothing(
    tmp_path: Path, served: FlatFileConnector
) -> None:
    """The error names the payload field; no input file is created."""
    spec = _spec(tmp_path)
    with pytest.raises(InvalidInputError) as missing:
        await served.submit("change_address", {"nino": "AB123456C"}, delivery_id="ff-9")
    assert "'address.lines'" in missing.value.message
    assert not list(spec.directory.glob(f"{spec.file_prefix}*"))
    assert ADDRESS_COPYBOOK.exists()


async def test_a_delivery_id_longer_than_its_field_is_invalid_input(
    tmp_path: Path, served: FlatFileConnector
) -> None:
    """The error names the field, its picture and the length sent, not the value; nothing is
    written."""
    spec = _spec(tmp_path)
    delivery_id = "d" * 31 + "-overflowing"
    with pytest.raises(InvalidInputError) as too_long:
        await served.submit(
            "change_address", {"nino": "AB123456C", "address": ADDRESS}, delivery_id=delivery_id
        )
    message = too_long.value.message
    assert "DELIVERY-ID" in message and "PIC X(32)" in message and "43 characters" in message
    assert delivery_id not in message and "AB123456C" not in message
    assert too_long.value.service == "benefits"
    assert not list(spec.directory.glob(f"{spec.file_prefix}*"))


async def test_a_transaction_field_takes_one_item_of_a_payload_list(tmp_path: Path) -> None:
    """A field mapped to ``address.lines.1`` gets the second line (the shared payload rule)."""
    options = dict(commands("benefits", tmp_path)["change_address"])
    options["fields"] = {**options["fields"], "POST-TOWN": "address.lines.1"}
    spec = FlatFileCommand.model_validate(options)
    answer = await InputBatch("benefits", "change_address", spec).submit(
        {"nino": "EF112233B", "address": ADDRESS}, "ff-list"
    )
    assert answer["outcome"] == "ACCEPTED"
    [record] = await _read(spec, spec.directory / answer["file"], "EF112233B")
    assert record["POST_TOWN"] == "Ünit 4"
