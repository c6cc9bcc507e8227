"""What each department's own store says about a change of address (for the write tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fixtures.writes import commands, input_dir
from legacy_connectors.flatfile import FlatFileConnector
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand
from legacy_connectors.flatfile.writes.commands import input_settings
from legacy_connectors.soap import SoapConnector
from tests.writes.support import notices, passport


def tax_changes(data_dir: Path, nino: str) -> list[dict[str, Any]]:
    """The tax service's durable log of address changes applied to ``nino``."""
    log = data_dir / "tax" / "address_changes.jsonl"
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [e for e in entries if e["Nino"] == nino]


async def benefits_transactions(data_dir: Path, nino: str) -> list[dict[str, Any]]:
    """Transaction records for ``nino`` in every daily input batch file, read back by key
    through the flat-file reader (which checks each file's trailer count first)."""
    spec = FlatFileCommand.model_validate(commands("benefits", data_dir)["change_address"])
    found: list[dict[str, Any]] = []
    for path in sorted(input_dir(data_dir).glob(f"{spec.file_prefix}*")):
        settings = input_settings(spec, path).model_dump(exclude={"commands", "key_field"})
        reader = FlatFileConnector.from_options(
            "benefits-input", {**settings, "key_field": "NINO", "many": True}
        )
        await reader.open()
        try:
            [records] = await reader.load_many([nino])
        finally:
            await reader.aclose()
        assert isinstance(records, list), records
        found.extend(records)
    return found


async def passport_address(data_dir: Path, number: str) -> tuple[Any, Any, Any]:
    """(first line, town, postcode) the passport office holds for ``number``."""
    record = await passport(data_dir, number)
    return record["address_line1"], record["town"], record["postcode"]


async def council_postcodes(data_dir: Path, vrms: list[str]) -> dict[str, set[str]]:
    """Keeper postcodes on every notice of ``vrms``, by issuing council."""
    out: dict[str, set[str]] = {}
    for vrm in vrms:
        for record in (await notices(data_dir, vrm)).values():
            out.setdefault(record["authority"], set()).add(record["keeper_postcode"])
    return out


async def tax_record_address(data_dir: Path, tax_url: str, nino: str) -> dict[str, Any]:
    """The address the tax service answers ``GetTaxpayer`` with (its own view)."""
    from fixtures.tax import source_options

    connector = SoapConnector.from_options("tax", source_options(data_dir, tax_url))
    await connector.open()
    try:
        [record] = await connector.load_many([nino])
    finally:
        await connector.aclose()
    assert isinstance(record, dict)
    return record["Address"]  # type: ignore[no-any-return]
