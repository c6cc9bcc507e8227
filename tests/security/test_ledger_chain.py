"""The exact bytes the ledger's hash chain covers, in both canonical forms, and the UTC stamp."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from govgraph.ledger import GENESIS, AccessEntry, AccessLedger, entry_hash
from tests.security.support import run_sql

ENTRY = AccessEntry(
    request_id="req-0001",
    actor="a1",
    role="caseworker",
    purpose="révision",
    citizen_id="cz_1",
    sources=("index", "tax"),
    field_groups=("identity", "tax"),
    at="2026-01-02T10:00:00.000000+00:00",
)
# RFC 8785: members sorted by name, no whitespace, non-ASCII as UTF-8 (not escaped)
FORM2_FIRST = (
    '{"actor":"a1","at":"2026-01-02T10:00:00.000000+00:00","citizen_id":"cz_1",'
    '"field_groups":["identity","tax"],"form":2,"prev_hash":"' + GENESIS + '",'
    '"purpose":"révision","request_id":"req-0001","role":"caseworker","seq":1,'
    '"sources":["index","tax"]}'
)
# form 1: a compact JSON array in a fixed order, non-ASCII escaped
FORM1_SECOND = (
    '[2,"2026-01-02T10:00:00.000000+00:00","req-0001","a1","caseworker","r\\u00e9vision",'
    '"cz_1",["index","tax"],["identity","tax"],"' + "ab" * 32 + '"]'
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_stored_entry_hash_covers_its_rfc8785_bytes(tmp_path: Path) -> None:
    """The first entry appended is hashed over its hand-written RFC 8785 form (sorted names,
    no spaces, UTF-8, form 2, after GENESIS), and the ledger built on it verifies."""
    ledger = AccessLedger(f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}")
    await ledger.open()
    try:
        await ledger.append([ENTRY])
        [stored] = await ledger.for_citizen("cz_1")
        assert (stored.seq, stored.form, stored.prev_hash) == (1, 2, GENESIS)
        assert stored.hash == _sha(FORM2_FIRST)
        assert await ledger.head() == (1, _sha(FORM2_FIRST))
        assert (await ledger.verify()).ok
    finally:
        await ledger.aclose()


def test_form_one_hashes_its_compact_ascii_array() -> None:
    """A form-1 entry's hash is over its compact JSON array with non-ASCII escaped, so ledgers
    written before RFC 8785 still verify; form 2 of the same entry is a different hash."""
    assert entry_hash(2, ENTRY, "ab" * 32, form=1) == _sha(FORM1_SECOND)
    assert entry_hash(2, ENTRY, "ab" * 32, form=2) != _sha(FORM1_SECOND)
    assert entry_hash(1, ENTRY, GENESIS) == _sha(FORM2_FIRST)


@pytest.mark.asyncio(loop_scope="session")
async def test_entries_are_stamped_in_utc_when_appended(tmp_path: Path) -> None:
    """An entry appended without a time gets the current UTC time, ISO 8601 with microseconds
    and a +00:00 offset; an entry that has one keeps it."""
    ledger = AccessLedger(f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}")
    await ledger.open()
    try:
        before = datetime.now(UTC)
        unstamped = AccessEntry("req-2", "a1", "citizen", None, "cz_2", ("index",), ("identity",))
        await ledger.append([unstamped, ENTRY])
        after = datetime.now(UTC)
        [fresh] = await ledger.for_citizen("cz_2")
        [kept] = await ledger.for_citizen("cz_1")
    finally:
        await ledger.aclose()
    at = fresh.entry.at
    assert at.endswith("+00:00") and len(at) == len("2026-01-02T10:00:00.000000+00:00")
    stamped = datetime.fromisoformat(at)
    assert stamped.utcoffset() == timedelta(0)
    assert before <= stamped <= after
    assert kept.entry.at == ENTRY.at


async def _verified(url: str) -> tuple[bool, str | None, tuple[str, ...]]:
    ledger = AccessLedger(url)
    await ledger.open()
    try:
        report = await ledger.verify()
        [record] = await ledger.for_citizen("cz_1")
    finally:
        await ledger.aclose()
    return report.ok, report.problem, record.entry.sources


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("stored", ['["index",2]', "[1,2]", '"index"', '{"index":"tax"}'])
async def test_a_list_column_holding_anything_but_a_list_of_text_is_tampering(
    tmp_path: Path, stored: str
) -> None:
    """A list column rewritten as valid canonical JSON that is not a list of strings fails
    verification as not canonical."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = AccessLedger(url)
    await ledger.open()
    await ledger.append([ENTRY])
    await ledger.aclose()
    await run_sql(url, f"UPDATE gg_access_ledger SET sources = '{stored}'")
    ok, problem, _ = await _verified(url)
    assert not ok
    assert problem == "entry 1 was modified (its sources are not stored in canonical form)"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_form_one_entry_with_no_sources_verifies(tmp_path: Path) -> None:
    """In form 1 an empty list is stored as empty text: such an entry (an access-log read
    touches no source) verifies and reads back with no sources."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = AccessLedger(url)
    await ledger.open()
    await ledger.aclose()
    entry = AccessEntry("req-1", "a1", "citizen", None, "cz_1", (), ("access_log",), ENTRY.at)
    digest = entry_hash(1, entry, GENESIS, form=1)
    await run_sql(
        url,
        "INSERT INTO gg_access_ledger (seq, at, request_id, actor, role, purpose, citizen_id, "
        f"sources, field_groups, prev_hash, hash, form) VALUES (1, '{ENTRY.at}', 'req-1', 'a1', "
        f"'citizen', NULL, 'cz_1', '', 'access_log', '{GENESIS}', '{digest}', 1)",
        f"UPDATE gg_access_ledger_head SET seq = 1, hash = '{digest}'",
    )
    assert await _verified(url) == (True, None, ())
