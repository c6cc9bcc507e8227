"""``govgraph link`` over the real kinds relinks through their change feeds: after records change
in the SQLite departments, the simulated SOAP tax service and the benefits batch files, the
second run is incremental and gives the links ``govgraph link --full`` gives."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fixtures.benefits import write_next
from fixtures.generate import generate, write_all
from fixtures.population.records import source_records
from fixtures.sqldb.edits import delete_rows, edit_rows
from fixtures.sqldb.sources import source_options
from fixtures.tax.testing import TaxService
from govgraph import demo
from govgraph.cli import main
from govgraph.index import CitizenIndex

AS_OF = date(2026, 11, 27)


def _link(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> dict[str, Any]:
    assert main(["link", "--data", str(data), "-q", *extra]) == 0
    figures: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return figures


async def _citizens(data: Path) -> set[frozenset[tuple[str, str]]]:
    index = CitizenIndex(f"sqlite+aiosqlite:///{data / 'index.sqlite'}")
    await index.open()
    try:
        members: dict[str, set[tuple[str, str]]] = {}
        for x in await index.all_links():
            if x.status == "active":
                members.setdefault(x.citizen_id, set()).add((x.source, x.key))
        return {frozenset(m) for m in members.values()}
    finally:
        await index.aclose()


def test_link_relinks_the_real_kinds_through_their_feeds_as_a_full_run_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Passports deleted and licences' towns edited in SQLite, taxpayers moved and closed in the
    tax service, claimants gone from the next benefits file: ``govgraph link`` reads each
    source's feed (mode incremental, changes counted) and its citizens equal those of
    ``govgraph link --full`` on a copy of the same data."""
    population = generate(200, 4, "realistic", AS_OF)
    data = tmp_path / "data"
    write_all(population, data)
    first = _link(capsys, data)
    assert first["mode"] == "full"
    records = source_records(population)
    passports = [k for k, _ in records["passports"]][:3]
    licences = [k for k, _ in records["vehicles"]][:4]
    asyncio.run(delete_rows(source_options("passports", data)["url"], "PSPT_MSTR", passports))
    asyncio.run(edit_rows(source_options("vehicles", data)["url"], "DRV_LIC", licences, "LEEDS"))
    ninos = [k for k, _ in records["tax"]]
    mover = records["tax"][10][1]["Address"]
    with demo.tax_service(data) as url:
        TaxService(url, data, population).change_records(
            addresses={ninos[0]: mover, ninos[1]: mover}, remove=[ninos[2]]
        )
    claimants = [p for p in population.people if p.benefits]
    write_next(
        replace(population, people=[p for p in population.people if p not in claimants[:3]]), data
    )
    twin = tmp_path / "twin"
    shutil.copytree(data, twin)

    relinked = _link(capsys, data)
    assert relinked["mode"] == "incremental", relinked["mode_reason"]
    for source in ("tax", "benefits", "passports", "vehicles"):
        assert f"{source} (feed)" in relinked["mode_reason"]
    assert relinked["changed_records"] >= 3 + 4 + 3
    full = _link(capsys, twin, "--full")
    assert (full["mode"], full["mode_reason"]) == ("full", "--full asked for")
    assert asyncio.run(_citizens(data)) == asyncio.run(_citizens(twin))
