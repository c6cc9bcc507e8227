"""The access ledger: every read recorded before the response, a hash chain that shows tampering."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest

from govgraph.cli import main
from govgraph.index import CitizenIndex
from govgraph.index.types import CitizenProfile, IndexChanges
from govgraph.ledger import AccessEntry, AccessLedger
from tests.security.support import BareFactory, BareGateway, run_sql

pytestmark = pytest.mark.asyncio(loop_scope="session")

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _entry(i: int, citizen: str = "cz_a", role: str = "caseworker") -> AccessEntry:
    return AccessEntry(
        request_id=f"req-{i:04d}",
        actor=f"actor{i % 3}",
        role=role,
        purpose="case-review" if role == "caseworker" else None,
        citizen_id=citizen,
        sources=("passports", "tax"),
        field_groups=("passport", "tax"),
    )


async def _ledger(tmp_path: Path, n: int) -> tuple[AccessLedger, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = AccessLedger(url)
    await ledger.open()
    for i in range(n):
        await ledger.append([_entry(i)])
    return ledger, url


async def _cli_verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `govgraph ledger verify --url URL` (in a thread: the command runs its own loop)."""
    code = await asyncio.to_thread(main, ["ledger", "verify", "--url", url])
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_intact_ledger_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A ledger written only by appends verifies, through the API and `govgraph ledger verify`."""
    ledger, url = await _ledger(tmp_path, 6)
    try:
        report = await ledger.verify()
        assert (report.ok, report.checked) == (True, 6)
    finally:
        await ledger.aclose()
    code, out, err = await _cli_verify(url, capsys)
    assert code == 0, err
    assert "6 entries" in out


async def test_verify_shows_its_progress_on_stderr_unless_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`govgraph ledger verify` says on stderr how many entries it checks and when it is done
    (stdout keeps the result alone); with `--quiet` stderr stays empty."""
    ledger, url = await _ledger(tmp_path, 6)
    await ledger.aclose()
    code, out, err = await _cli_verify(url, capsys)
    assert code == 0
    assert err.splitlines()[0] == "ledger verify: verify entries started (6 entries)"
    assert err.splitlines()[-1].startswith("ledger verify: verify entries done: 6 entries in ")
    assert out.startswith("access ledger intact: 6 entries")
    code = await asyncio.to_thread(main, ["ledger", "verify", "--url", url, "--quiet"])
    quiet = capsys.readouterr()
    assert (code, quiet.err) == (0, "")
    assert quiet.out.startswith("access ledger intact")


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE gg_access_ledger SET purpose = 'curiosity' WHERE seq = 3", "entry 3 was modified"),
        (
            "UPDATE gg_access_ledger SET at = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 5",
            "entry 5 was modified",
        ),
        ("DELETE FROM gg_access_ledger WHERE seq = 4", "entry 4 is missing"),
        ("DELETE FROM gg_access_ledger WHERE seq = 6", "ends at entry 5"),
        (
            "UPDATE gg_access_ledger SET seq = seq + 100 WHERE seq IN (2, 3);"
            "UPDATE gg_access_ledger SET seq = 5 - (seq - 100) WHERE seq IN (102, 103)",
            "entry 2",
        ),
    ],
    ids=["modified", "modified-time", "deleted", "deleted-last", "reordered"],
)
async def test_tampering_is_detected_and_named(tmp_path: Path, tamper: str, named: str) -> None:
    """Changing, deleting or reordering rows with raw SQL makes verification fail at that entry."""
    ledger, url = await _ledger(tmp_path, 6)
    await ledger.aclose()
    await run_sql(url, *tamper.split(";"))
    again = AccessLedger(url)
    await again.open()
    try:
        report = await again.verify()
    finally:
        await again.aclose()
    assert not report.ok
    assert report.problem is not None and named in report.problem


async def test_verify_command_names_the_tampered_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`govgraph ledger verify` exits 1 and names the entry a raw SQL update changed."""
    ledger, url = await _ledger(tmp_path, 4)
    await ledger.aclose()
    await run_sql(url, "UPDATE gg_access_ledger SET role = 'citizen' WHERE seq = 2")
    code, _, err = await _cli_verify(url, capsys)
    assert code == 1
    assert "TAMPERED" in err
    assert "entry 2 was modified" in err


async def test_reordered_entries_fail_at_the_first_moved_entry(tmp_path: Path) -> None:
    """Swapping two entries' places is reported at the first place that changed."""
    ledger, url = await _ledger(tmp_path, 6)
    await ledger.aclose()
    await run_sql(
        url,
        "UPDATE gg_access_ledger SET seq = -2 WHERE seq = 2",
        "UPDATE gg_access_ledger SET seq = 2 WHERE seq = 3",
        "UPDATE gg_access_ledger SET seq = 3 WHERE seq = -2",
    )
    again = AccessLedger(url)
    await again.open()
    try:
        report = await again.verify()
    finally:
        await again.aclose()
    assert not report.ok
    assert report.seq == 2
    assert report.checked == 1


async def test_concurrent_appends_are_group_committed(tmp_path: Path) -> None:
    """Many requests finishing together share transactions, and the chain stays whole."""
    ledger, _ = await _ledger(tmp_path, 0)
    try:
        await asyncio.gather(*(ledger.append([_entry(i), _entry(i, "cz_b")]) for i in range(60)))
        report = await ledger.verify()
        assert (report.ok, report.checked) == (True, 120)
        assert ledger.transactions < 60
        assert len(await ledger.for_citizen("cz_b", limit=500)) == 60
    finally:
        await ledger.aclose()


async def test_an_append_is_committed_when_it_returns(tmp_path: Path) -> None:
    """Once ``append`` returns, the entry and the moved head are in the database file: another
    connection (here the sqlite3 module, outside the ledger) reads them; an in-memory ledger,
    which keeps the async path, chains the same way."""
    ledger, _ = await _ledger(tmp_path, 0)
    try:
        for i in range(3):
            await ledger.append([_entry(i)])
            with sqlite3.connect(tmp_path / "ledger.sqlite") as other:
                seq, digest = other.execute(
                    "SELECT seq, hash FROM gg_access_ledger_head"
                ).fetchone()
                stored = other.execute(
                    "SELECT request_id, hash FROM gg_access_ledger ORDER BY seq DESC LIMIT 1"
                ).fetchone()
            assert seq == i + 1 and stored == (f"req-{i:04d}", digest)
    finally:
        await ledger.aclose()
    memory = AccessLedger("sqlite+aiosqlite:///:memory:")
    await memory.open()
    try:
        await asyncio.gather(*(memory.append([_entry(i)]) for i in range(10)))
        assert (await memory.verify()).ok and (await memory.head())[0] == 10
    finally:
        await memory.aclose()


async def test_two_writers_on_one_store_keep_one_chain(tmp_path: Path) -> None:
    """Two gateway processes appending to the same store interleave without forking the chain."""
    first, url = await _ledger(tmp_path, 0)
    second = AccessLedger(url)
    await second.open()
    try:
        await asyncio.gather(
            *(first.append([_entry(i)]) for i in range(25)),
            *(second.append([_entry(100 + i, "cz_b")]) for i in range(25)),
        )
        report = await first.verify()
        assert (report.ok, report.checked) == (True, 50)
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.postgres
async def test_postgresql_ledger_chain_and_tamper() -> None:
    """On PostgreSQL, concurrent writers keep one chain, and a modified row is detected."""
    await run_sql(
        PG_URL,
        "DROP TABLE IF EXISTS gg_access_ledger",
        "DROP TABLE IF EXISTS gg_access_ledger_head",
    )
    first, second = AccessLedger(PG_URL), AccessLedger(PG_URL)
    await first.open()
    await second.open()
    try:
        await asyncio.gather(
            *(first.append([_entry(i)]) for i in range(20)),
            *(second.append([_entry(50 + i, "cz_b")]) for i in range(20)),
        )
        assert (await first.verify()).ok
        await run_sql(PG_URL, "UPDATE gg_access_ledger SET citizen_id = 'cz_z' WHERE seq = 7")
        report = await first.verify()
        assert not report.ok and report.seq == 7
    finally:
        await first.aclose()
        await second.aclose()
        await run_sql(
            PG_URL,
            "DROP TABLE IF EXISTS gg_access_ledger",
            "DROP TABLE IF EXISTS gg_access_ledger_head",
        )


async def _seed(gw: BareGateway, citizen_id: str, surname: str) -> None:
    index = CitizenIndex(gw.settings.gateway.index_url)
    await index.open()
    try:
        profile = CitizenProfile(
            citizen_id=citizen_id,
            given_name="Ada",
            middle_names="",
            surname=surname,
            date_of_birth=date(1980, 2, 3),
            address_lines=("1 Test Street",),
            town="Testbury",
            postcode="TB1 1AA",
            source="passports",
        )
        await index.apply(IndexChanges(new_citizens=[profile]))
    finally:
        await index.aclose()


ME_NAME = "{ me { name { familyName } } }"
LOG = "{ me { accessLog { role purpose fieldGroups requestId accessor } } }"


async def test_reads_are_recorded_before_the_response_and_shown_to_the_citizen(
    bare_gateway_factory: BareFactory,
) -> None:
    """A caseworker's read is in the ledger when the response arrives; the citizen sees who,
    with which purpose, and their own reads only when asked."""
    from resolvers.ids import encode_id

    gw = await bare_gateway_factory()
    await _seed(gw, "cz_ledger1", "Lovelace")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { citizen(id: $id) { name { familyName } } }",
                "variables": {"id": encode_id("Citizen", "cz_ledger1")},
            },
            headers={
                **gw.headers("caseworker", purpose="benefit-claim"),
                "x-request-id": "req-caseworker-1",
            },
        )
        assert r.json()["data"]["citizen"]["name"]["familyName"] == "Lovelace"
        ledger = AccessLedger(gw.settings.gateway.index_url)
        await ledger.open()
        try:
            recorded = await ledger.for_citizen("cz_ledger1")
        finally:
            await ledger.aclose()
        assert [(e.entry.role, e.entry.purpose, e.entry.request_id) for e in recorded] == [
            ("caseworker", "benefit-claim", "req-caseworker-1")
        ]
        assert "Bearer" not in str(recorded) and "eyJ" not in str(recorded)

        me = gw.headers("citizen", "cz_ledger1")
        await client.post("/graphql", json={"query": ME_NAME}, headers=me)
        log = (await client.post("/graphql", json={"query": LOG}, headers=me)).json()
        entries = log["data"]["me"]["accessLog"]
        assert [(e["role"], e["purpose"], e["requestId"]) for e in entries] == [
            ("CASEWORKER", "benefit-claim", "req-caseworker-1")
        ]
        assert entries[0]["fieldGroups"] == ["identity"]
        with_own = await client.post(
            "/graphql",
            json={"query": "{ me { accessLog(includeOwn: true) { role } } }"},
            headers=me,
        )
        assert [e["role"] for e in with_own.json()["data"]["me"]["accessLog"]] == [
            "CITIZEN",
            "CASEWORKER",
        ]


async def test_no_data_is_sent_when_the_ledger_cannot_be_written(
    bare_gateway_factory: BareFactory,
) -> None:
    """If the read cannot be recorded, the request fails with 503 and none of the data."""
    gw = await bare_gateway_factory()
    await _seed(gw, "cz_ledger2", "Hopper")
    await run_sql(gw.settings.gateway.index_url, "DROP TABLE gg_access_ledger")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post(
            "/graphql", json={"query": ME_NAME}, headers=gw.headers("citizen", "cz_ledger2")
        )
    assert r.status_code == 503
    assert r.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "Hopper" not in r.text


async def test_only_the_citizen_reads_their_access_log(
    bare_gateway_factory: BareFactory,
) -> None:
    """Caseworkers and analysts are refused `accessLog`; another citizen cannot reach it."""
    from resolvers.ids import encode_id

    gw = await bare_gateway_factory()
    await _seed(gw, "cz_ledger3", "Turing")
    query = "query($id: ID!) { citizen(id: $id) { accessLog { role } } }"
    variables = {"id": encode_id("Citizen", "cz_ledger3")}
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        for headers in (gw.headers("caseworker"), gw.headers("analyst")):
            body = (
                await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
            ).json()
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert "accessLog" not in str(body.get("data"))
        other = await client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) "
                "{ node(id: $id) { ... on Citizen { accessLog { role } } } }",
                "variables": variables,
            },
            headers=gw.headers("citizen", "cz_someone_else"),
        )
        assert other.json()["data"]["node"] is None
        assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_rewritten_chain_is_caught_by_a_published_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An insider who edits an entry and recomputes every later hash and the head passes the
    plain check, but not a check against a head published before the edit."""
    from govgraph.ledger import GENESIS, entry_hash

    ledger, url = await _ledger(tmp_path, 5)
    try:
        assert await asyncio.to_thread(main, ["ledger", "head", "--url", url]) == 0
        seq, digest = capsys.readouterr().out.strip().split(":")
        published = (int(seq), digest)
        assert published == await ledger.head()
        await ledger.append([_entry(99)])
        records = sorted(await ledger.for_citizen("cz_a", limit=100), key=lambda r: r.seq)
    finally:
        await ledger.aclose()
    prev, statements = GENESIS, []
    for rec in records:
        entry = rec.entry
        if rec.seq == 2:
            entry = replace(entry, purpose="fraud-investigation")
            statements.append(
                "UPDATE gg_access_ledger SET purpose = 'fraud-investigation' WHERE seq = 2"
            )
        digest = entry_hash(rec.seq, entry, prev)
        statements.append(
            f"UPDATE gg_access_ledger SET prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {rec.seq}"
        )
        prev = digest
    statements.append(f"UPDATE gg_access_ledger_head SET hash = '{prev}'")
    await run_sql(url, *statements)
    plain, _, _ = await _cli_verify(url, capsys)
    assert plain == 0
    code = await asyncio.to_thread(
        main, ["ledger", "verify", "--url", url, "--anchor", f"{published[0]}:{published[1]}"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"entry {published[0]} no longer has the hash published for it" in err
