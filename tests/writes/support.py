"""Helpers for the write tests: finding people, reading the departments' own stores."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from fixtures.sqldb.sources import source_options
from legacy_connectors.sql import SqlConnector
from tests.api.helpers import citizen_id_for


def council_file(data_dir: Path, code: str) -> Path:
    """The SQLite file of council ``code``."""
    return data_dir / "parking" / f"{code}.sqlite"


def council_code(data_dir: Path, name: str) -> str:
    """The code of the council called ``name``."""
    manifest = json.loads((data_dir / "parking" / "councils.json").read_text())
    return next(c["code"] for c in manifest if c["name"] == name)


def journal(path: Path) -> list[dict[str, Any]]:
    """Rows of the delivery journal in the SQLite database at ``path`` (none if absent)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("GG_DELIVERY_LOG"):
                return []
            rows = conn.execute(text('SELECT * FROM "GG_DELIVERY_LOG"')).mappings().all()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


async def notices(data_dir: Path, vrm: str) -> dict[str, dict[str, Any]]:
    """Every council's notices for ``vrm``, by PCN, read through the read mappings."""
    connector = SqlConnector.from_options("parking", source_options("parking", data_dir))
    try:
        [result] = await connector.load_many([vrm])
    finally:
        await connector.aclose()
    assert isinstance(result, list)
    return {r["pcn"]: r for r in result}


async def passport(data_dir: Path, number: str) -> dict[str, Any]:
    """The passport office's record of ``number`` (with its applications)."""
    connector = SqlConnector.from_options("passports", source_options("passports", data_dir))
    try:
        [result] = await connector.load_many([number])
    finally:
        await connector.aclose()
    assert isinstance(result, dict)
    return result


async def citizen_for_notice(index_url: str, notice: Any) -> str | None:
    """The citizen the index links the notice's vehicle to."""
    return await citizen_id_for(index_url, "parking", notice.vrm)


def pick_notice(
    population: Any, status: str, *, discount_open: bool, council: str, skip: int = 0
) -> Any:
    """A notice in ``status`` of ``council`` whose discount is (or is no longer) open (the
    ``skip``-th such, so that tests paying notices each pay their own)."""
    today = date.today()
    for person in population.people:
        for notice in person.penalty_notices:
            deadline = notice.discount_deadline
            in_discount = deadline is not None and today <= deadline
            if (
                notice.status == status
                and in_discount == discount_open
                and notice.council_code == council
            ):
                if skip == 0:
                    return notice
                skip -= 1
    raise AssertionError(f"no {status} notice of {council} with discount_open={discount_open}")
