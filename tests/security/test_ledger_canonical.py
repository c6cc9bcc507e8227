"""The access ledger over a canonical form (RFC 8785): equivalent re-spellings are tampering."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from govgraph.cli import main
from govgraph.ledger import GENESIS, AccessEntry, AccessLedger, entry_hash

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _entry(i: int) -> AccessEntry:
    return AccessEntry(
        request_id=f"req-{i:04d}",
        actor="actor",
        role="caseworker",
        purpose="case-review",
        citizen_id=f"cz_{i}",
        sources=("index", "passports", "tax"),
        field_groups=("identity", "passport", "tax"),
        at=f"2026-01-0{i + 1}T10:00:00.000000+00:00",
    )


async def _sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    rows: list[tuple[object, ...]] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
                if result.returns_rows:
                    rows.extend(tuple(r) for r in result.all())
    finally:
        await engine.dispose()
    return rows


async def _verify(url: str) -> tuple[bool, str | None]:
    ledger = AccessLedger(url)
    await ledger.open()
    try:
        report = await ledger.verify()
    finally:
        await ledger.aclose()
    return report.ok, report.problem


async def _written(tmp_path: Path, n: int = 3) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = AccessLedger(url)
    await ledger.open()
    try:
        for i in range(n):
            await ledger.append([_entry(i)])
    finally:
        await ledger.aclose()
    return url


async def test_entries_are_stored_as_their_rfc8785_text(tmp_path: Path) -> None:
    """Lists are stored exactly as RFC 8785 writes them, and that ledger verifies."""
    url = await _written(tmp_path)
    rows = await _sql(url, "SELECT sources, field_groups, form FROM gg_access_ledger ORDER BY seq")
    assert rows[0] == ('["index","passports","tax"]', '["identity","passport","tax"]', 2)
    assert await _verify(url) == (True, None)


@pytest.mark.parametrize(
    "stored",
    [
        '["identity", "passport", "tax"]',
        '["identity","passport","tax",]',
        '[ "identity","passport","tax" ]',
        '["identity","passport","\\u0074ax"]',
        '["identity","passport","tax"]\n',
    ],
    ids=["spaces", "trailing-comma", "padded", "escaped", "newline"],
)
async def test_an_equivalent_respelling_is_detected(
    tmp_path: Path, stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reformatted (or no longer valid) JSON in a stored entry fails `govgraph ledger verify`."""
    url = await _written(tmp_path)
    await _sql(url, f"UPDATE gg_access_ledger SET field_groups = '{stored}' WHERE seq = 2")
    ok, problem = await _verify(url)
    assert not ok and problem is not None
    assert "entry 2 was modified" in problem and "canonical form" in problem
    code = await asyncio.to_thread(main, ["ledger", "verify", "--url", url])
    assert code == 1
    assert "entry 2 was modified" in capsys.readouterr().err


async def test_a_ledger_from_before_canonical_forms_is_migrated_and_verifies(
    tmp_path: Path,
) -> None:
    """Old rows keep form-1 hashes, new rows chain on in form 2, an old row's extra comma shows."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}"
    prev, inserts = GENESIS, []
    for seq in (1, 2):
        entry = _entry(seq)
        digest = entry_hash(seq, entry, prev, form=1)
        inserts.append(
            "INSERT INTO gg_access_ledger (seq, at, request_id, actor, role, purpose, citizen_id, "
            f"sources, field_groups, prev_hash, hash) VALUES ({seq}, '{entry.at}', "
            f"'{entry.request_id}', 'actor', 'caseworker', 'case-review', '{entry.citizen_id}', "
            f"'{','.join(entry.sources)}', '{','.join(entry.field_groups)}', '{prev}', "
            f"'{digest}')"
        )
        prev = digest
    await _sql(
        url,
        "CREATE TABLE gg_access_ledger (seq INTEGER PRIMARY KEY, at VARCHAR(32) NOT NULL, "
        "request_id VARCHAR(64) NOT NULL, actor VARCHAR(64) NOT NULL, role VARCHAR(16) NOT NULL, "
        "purpose VARCHAR(64), citizen_id VARCHAR(64) NOT NULL, sources TEXT NOT NULL, "
        "field_groups TEXT NOT NULL, prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL)",
        "CREATE TABLE gg_access_ledger_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "
        "hash VARCHAR(64) NOT NULL)",
        *inserts,
        f"INSERT INTO gg_access_ledger_head VALUES (1, 2, '{prev}')",
    )
    ledger = AccessLedger(url)
    await ledger.open()
    try:
        await ledger.append([_entry(3)])
        assert (await ledger.verify()).ok
        [newest] = await ledger.for_citizen("cz_3")
        assert newest.form == 2 and newest.entry.sources == ("index", "passports", "tax")
        [oldest] = await ledger.for_citizen("cz_1")
        assert oldest.form == 1 and oldest.entry.field_groups == ("identity", "passport", "tax")
    finally:
        await ledger.aclose()
    forms = await _sql(url, "SELECT form FROM gg_access_ledger ORDER BY seq")
    assert forms == [(1,), (1,), (2,)]
    await _sql(url, "UPDATE gg_access_ledger SET sources = sources || ',' WHERE seq = 1")
    ok, problem = await _verify(url)
    assert not ok and problem is not None and "entry 1 was modified" in problem
