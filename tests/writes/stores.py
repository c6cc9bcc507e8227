"""Snapshots of every department's own store for one citizen (for the strict-write tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govgraph.index import CitizenIndex
from tests.writes.departments import (
    benefits_transactions,
    council_postcodes,
    passport_address,
    tax_changes,
)


async def held_keys(index_url: str, citizen_id: str) -> dict[str, list[str]]:
    """The citizen's keys by source, as the index holds them."""
    index = CitizenIndex(index_url)
    await index.open()
    try:
        found = (await index.links_for([citizen_id]))[citizen_id]
    finally:
        await index.aclose()
    out: dict[str, list[str]] = {}
    for link in found:
        out.setdefault(link.source, []).append(link.key)
    return out


async def snapshot(data_dir: Path, held: dict[str, list[str]]) -> dict[str, Any]:
    """What each department holds about the citizen's address, read from its own store."""
    return {
        "tax": {nino: tax_changes(data_dir, nino) for nino in held.get("tax", [])},
        "benefits": {
            nino: await benefits_transactions(data_dir, nino) for nino in held.get("benefits", [])
        },
        "passports": {
            number: await passport_address(data_dir, number) for number in held.get("passports", [])
        },
        "parking": await council_postcodes(data_dir, held.get("parking", [])),
    }


async def holds_exactly(
    data_dir: Path, held: dict[str, list[str]], address: dict[str, Any], change_id: str
) -> None:
    """Assert every department holds ``address`` (as the citizen was shown it), exactly."""
    lines, town, postcode = address["lines"], address["town"], address["postcode"]
    for nino in held.get("tax", []):
        latest = tax_changes(data_dir, nino)[-1]["Address"]
        assert (latest["Line"], latest["Town"], latest["PostCode"]) == (lines, town, postcode)
    for nino in held.get("benefits", []):
        latest = (await benefits_transactions(data_dir, nino))[-1]
        padded = [*lines, *[""] * (3 - len(lines))]
        assert latest["ADDRESS_LINE"] == padded, (latest["ADDRESS_LINE"], lines)
        assert (latest["POST_TOWN"], latest["POSTCODE"]) == (town, postcode)
    for number in held.get("passports", []):
        assert await passport_address(data_dir, number) == (lines[0], town, postcode)
    for codes in (await council_postcodes(data_dir, held.get("parking", []))).values():
        assert codes == {postcode}, change_id
