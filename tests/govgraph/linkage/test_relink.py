"""Relinking after records change: the incremental relink gives exactly the links of a full run
with the same model, falls back to a full run when it cannot be trusted, and writes nothing
when a source fails."""

from __future__ import annotations

import copy
import random
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import generate
from fixtures.population.records import source_records
from govgraph.index import CitizenIndex
from govgraph.linkage import ScanFailed, link
from govgraph.linkage.state import state_path_for, stored_model
from legacy_connectors.base import Record
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

PEOPLE = 2500
AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module", params=["realistic", "hard"])
def records(request: pytest.FixtureRequest) -> dict[str, list[tuple[str, Record]]]:
    """Every source's records of one generated population."""
    return source_records(generate(PEOPLE, 11, request.param, AS_OF))


def connectors(
    records: dict[str, list[tuple[str, Record]]], without_feed: tuple[str, ...] = (), **kw: Any
) -> dict[str, MemoryConnector]:
    """One in-memory source per department holding ``records``, with a change feed unless
    named in ``without_feed``."""
    out: dict[str, MemoryConnector] = {}
    for name, rows in records.items():
        by_key: dict[str, list[Record]] = {}
        for key, record in rows:
            by_key.setdefault(key, []).append(copy.deepcopy(record))
        held = {k: v[0] if len(v) == 1 else v for k, v in by_key.items()}
        feed = name not in without_feed
        out[name] = MemoryConnector(name, MemorySettings(records=held, change_feed=feed, **kw))
    return out


async def open_index(path: Path) -> CitizenIndex:
    index = CitizenIndex(f"sqlite+aiosqlite:///{path}")
    await index.open()
    return index


async def snapshot(index: CitizenIndex) -> tuple[set[frozenset[tuple[str, str]]], dict[Any, str]]:
    """The citizens' memberships (active links), and each key's citizen id."""
    members: dict[str, set[tuple[str, str]]] = {}
    citizen: dict[Any, str] = {}
    for x in await index.all_links():
        if x.status == "active":
            members.setdefault(x.citizen_id, set()).add((x.source, x.key))
            citizen[(x.source, x.key)] = x.citizen_id
    return {frozenset(m) for m in members.values()}, citizen


async def reviews(index: CitizenIndex) -> set[tuple[Any, ...]]:
    """The open reviews (records, candidate's score and reason)."""
    out: set[tuple[Any, ...]] = set()
    after = 0
    while batch := await index.open_reviews(limit=1000, after_id=after):
        out |= {
            (r.source, r.key, r.candidate_source, r.candidate_key, r.score, r.reason) for r in batch
        }
        after = batch[-1].id or 0
    return out


def one(records: Record | list[Record]) -> Record:
    return records[0] if isinstance(records, list) else records


def change_records(sources: dict[str, MemoryConnector], rng: random.Random, share: float) -> int:
    """Change about ``share`` of the records through each source's own ``put``/``remove``:
    moves, new surnames, corrected and mistyped dates, removals, new records, a record that
    takes another person's identity (splitting its citizen and joining another) and a tax
    record made to agree with a passport holder (joining two citizens)."""
    changed = 0
    tax, passports, vehicles = sources["tax"], sources["passports"], sources["vehicles"]
    for name, source in sources.items():
        keys = sorted(source.settings.records)
        picked = rng.sample(keys, max(3, int(len(keys) * share)))
        for n, key in enumerate(picked):
            record = copy.deepcopy(source.settings.records[key])
            first = one(record)
            kind = n % 5
            if kind == 4:
                source.remove(key)
                changed += 1
                continue
            if name == "tax":
                other = one(tax.settings.records[rng.choice(sorted(tax.settings.records))])
                if kind == 0:
                    first["Address"] = copy.deepcopy(other["Address"])
                elif kind == 1:
                    first["Name"]["FamilyName"] = other["Name"]["FamilyName"]
                elif kind == 2:
                    first["DateOfBirth"] = first["DateOfBirth"] + timedelta(days=1)
                else:
                    first["Name"]["GivenName"] = first["Name"]["GivenName"][::-1]
            elif name == "benefits":
                first["POSTCODE"] = "ZZ9 9ZZ" if kind == 0 else first["POSTCODE"]
                first["SURNAME"] = first["SURNAME"] + ("S" if kind == 1 else "")
                first["DATE_OF_BIRTH"] = first["DATE_OF_BIRTH"] + (1 if kind == 2 else 0)
                first["FORENAMES"] = "" if kind == 3 else first["FORENAMES"]
            elif name == "parking":
                first["keeper_postcode"] = "QQ1 1QQ" if kind % 2 else first["keeper_postcode"]
                first["vrm"] = first["vrm"] if kind != 2 else "ZZ99 ZZZ"
            else:
                other = one(source.settings.records[rng.choice(sorted(source.settings.records))])
                if kind == 0:
                    first["postcode"] = other["postcode"]
                    first["address_line1"] = other["address_line1"]
                elif kind == 1:
                    first["surname"] = other["surname"]
                elif kind == 2:
                    first["date_of_birth"] = first["date_of_birth"] + timedelta(days=40)
                else:
                    first["forenames"] = other["forenames"]
            source.put(key, record)
            changed += 1
    # New records: a passport for a taxpayer who had none (it joins their citizen), and one
    # for a new person.
    holders = {
        (one(r)["surname"], one(r)["date_of_birth"]) for r in passports.settings.records.values()
    }
    for nino in sorted(tax.settings.records)[:40]:
        t = one(tax.settings.records[nino])
        if (t["Name"]["FamilyName"].upper(), t["DateOfBirth"]) in holders:
            continue
        passports.put(
            f"NEW{nino}",
            {
                "passport_number": f"NEW{nino}",
                "surname": t["Name"]["FamilyName"].upper(),
                "forenames": t["Name"]["GivenName"].upper(),
                "date_of_birth": t["DateOfBirth"],
                "sex": t["Sex"],
                "address_line1": t["Address"]["Line"][0],
                "town": t["Address"]["Town"],
                "postcode": t["Address"]["PostCode"],
            },
        )
        changed += 1
        break
    passports.put(
        "NEWPERSON1",
        {
            "passport_number": "NEWPERSON1",
            "surname": "QUIXWORTH",
            "forenames": "ZEPHYRINE",
            "date_of_birth": date(1961, 3, 14),
            "sex": "F",
            "address_line1": "1 Nowhere Row",
            "town": "Elsewhere",
            "postcode": "EL1 1AA",
        },
    )
    changed += 1
    # A licence takes a passport holder's identity: it leaves its citizen and joins theirs.
    lic = sorted(vehicles.settings.records)[7]
    giver = one(passports.settings.records[sorted(passports.settings.records)[3]])
    record = copy.deepcopy(vehicles.settings.records[lic])
    first = one(record)
    for field in (
        "surname",
        "forenames",
        "date_of_birth",
        "sex",
        "address_line1",
        "town",
        "postcode",
    ):
        first[field] = giver[field]
    vehicles.put(lic, record)
    return changed + 1


async def relink_as_full(
    tmp_path: Path, records: dict[str, list[tuple[str, Record]]], engine: str, rounds: int
) -> None:
    """Link in full, then ``rounds`` times change ~2 % of the records and relink: the
    incremental relink and a full run with the same model, from copies of one index and
    state, give the same citizens, kept ids and open reviews."""
    sources = connectors(records, without_feed=("benefits",))
    index_path = tmp_path / "index.db"
    state = state_path_for(f"sqlite+aiosqlite:///{index_path}")
    assert state is not None
    index = await open_index(index_path)
    try:
        first = await link(sources, index, state=state, engine=engine)
        assert first.mode == "full" and first.mode_reason == "no link state from an earlier run"
        rng = random.Random(5)
        for round_ in range(rounds):
            changed = change_records(sources, rng, 0.02)
            twin = tmp_path / f"twin{round_}"
            twin.mkdir()
            for suffix in ("", "-wal", "-shm"):
                for name in ("index.db", "index.db.linkstate"):
                    if (tmp_path / f"{name}{suffix}").exists():
                        shutil.copy(tmp_path / f"{name}{suffix}", twin / f"{name}{suffix}")
            model = stored_model(state)
            old_ids = set((await snapshot(index))[1].values())
            relinked = await link(sources, index, state=state, engine=engine)
            assert relinked.mode == "incremental", relinked.mode_reason
            assert "benefits (scan)" in relinked.mode_reason
            assert "tax (feed)" in relinked.mode_reason
            assert relinked.changed_records is not None
            assert relinked.changed_records >= changed * 0.9
            full_index = await open_index(twin / "index.db")
            try:
                full = await link(
                    sources,
                    full_index,
                    state=twin / "index.db.linkstate",
                    full=True,
                    fixed_model=model,
                    engine=engine,
                )
                assert full.mode == "full"
                ours, theirs = await snapshot(index), await snapshot(full_index)
                assert ours[0] == theirs[0]
                kept = {k: c for k, c in ours[1].items() if c in old_ids}
                assert kept == {k: c for k, c in theirs[1].items() if c in old_ids}
                assert await reviews(index) == await reviews(full_index)
            finally:
                await full_index.aclose()
    finally:
        await index.aclose()


async def test_incremental_relink_equals_a_full_run_with_the_same_model(
    tmp_path: Path, records: dict[str, list[tuple[str, Record]]]
) -> None:
    """After ~2 % of records change (moves, renames, new, removed, a split and a join), an
    incremental relink (benefits without a feed: read whole and compared by fingerprint)
    gives the same citizens, ids and open reviews as a full run with the same model from the
    same index, and again after a second round of changes."""
    await relink_as_full(tmp_path, records, "memory", 2)


async def test_a_relink_after_a_duckdb_run_equals_a_full_duckdb_run(
    tmp_path: Path, records: dict[str, list[tuple[str, Record]]]
) -> None:
    """The state a DuckDB full run keeps serves a relink as the in-process one does: the
    relink equals a full DuckDB run with the same model."""
    pytest.importorskip("duckdb", reason="the DuckDB engine needs pip install -e '.[scale]'")
    await relink_as_full(tmp_path, records, "duckdb", 1)


@pytest.fixture
def small() -> dict[str, list[tuple[str, Record]]]:
    """A small generated population's records."""
    return source_records(generate(400, 3, "realistic", AS_OF))


async def _linked(tmp: Path, sources: dict[str, MemoryConnector]) -> tuple[CitizenIndex, Path]:
    index = await open_index(tmp / "index.db")
    state = tmp / "index.db.linkstate"
    await link(sources, index, state=state)
    return index, state


def _move_some(sources: dict[str, MemoryConnector], n: int) -> None:
    tax = sources["tax"]
    keys = sorted(tax.settings.records)
    for a, b in zip(keys[:n], keys[n : 2 * n], strict=True):
        record = copy.deepcopy(tax.settings.records[a])
        record["Address"] = copy.deepcopy(tax.settings.records[b]["Address"])
        tax.put(a, record)


async def test_an_expired_cursor_runs_in_full(
    tmp_path: Path, small: dict[str, list[tuple[str, Record]]]
) -> None:
    """When a source's change log no longer reaches the stored cursor the relink is a full
    run, and says why."""
    sources = connectors(small, change_log_limit=5)
    index, state = await _linked(tmp_path, sources)
    try:
        _move_some(sources, 8)
        report = await link(sources, index, state=state)
        assert report.mode == "full"
        assert "change feed of tax no longer reaches the stored cursor" in report.mode_reason
        _move_some(sources, 2)
        again = await link(sources, index, state=state)
        assert again.mode == "incremental", again.mode_reason
        assert again.to_json()["mode"] == "incremental"
    finally:
        await index.aclose()


async def test_other_rules_a_damaged_state_or_full_run_in_full(
    tmp_path: Path, small: dict[str, list[tuple[str, Record]]]
) -> None:
    """A different MODEL_VERSION, ``full``, or a state file that cannot be read each give a
    full run naming the reason; the run after a full one relinks incrementally."""
    sources = connectors(small)
    index, state = await _linked(tmp_path, sources)
    try:
        _move_some(sources, 3)
        other = await link(sources, index, state=state, model_version="fs-test-9")
        assert other.mode == "full"
        assert (
            "linkage rules changed since the last run (fs-em-2 -> fs-test-9)" in other.mode_reason
        )
        forced = await link(sources, index, state=state, model_version="fs-test-9", full=True)
        assert (forced.mode, forced.mode_reason) == ("full", "--full asked for")
        state.write_bytes(b"not a database at all" * 100)
        damaged = await link(sources, index, state=state, model_version="fs-test-9")
        assert damaged.mode == "full"
        assert "cannot be read" in damaged.mode_reason
        _move_some(sources, 3)
        after = await link(sources, index, state=state, model_version="fs-test-9")
        assert after.mode == "incremental", after.mode_reason
    finally:
        await index.aclose()


async def test_a_failing_source_during_a_relink_writes_nothing(
    tmp_path: Path, small: dict[str, list[tuple[str, Record]]]
) -> None:
    """A source that cannot be read during a relink fails the run as a full run would: the
    index and the link state are left as they were, and the next relink sees every change."""
    sources = connectors(small)
    index, state = await _linked(tmp_path, sources)
    try:
        before = await snapshot(index)
        stored = state.read_bytes()
        _move_some(sources, 6)
        passports = sources["passports"]
        working = passports.settings
        passports.settings = working.model_copy(update={"available": False})
        with pytest.raises(ScanFailed) as failed:
            await link(sources, index, state=state)
        assert "passports" in failed.value.failures
        assert await snapshot(index) == before
        assert state.read_bytes() == stored
        passports.settings = working
        report = await link(sources, index, state=state)
        assert report.mode == "incremental"
        assert report.changed_records == 6
    finally:
        await index.aclose()


async def test_a_relink_with_nothing_changed_changes_nothing(
    tmp_path: Path, small: dict[str, list[tuple[str, Record]]]
) -> None:
    """With no record changed a relink reads no record, plans no node and keeps every link."""
    sources = connectors(small, without_feed=("vehicles",))
    index, state = await _linked(tmp_path, sources)
    try:
        before = await snapshot(index)
        report = await link(sources, index, state=state)
        assert report.mode == "incremental"
        assert report.changed_records == 0
        assert report.nodes == 0
        assert await snapshot(index) == before
    finally:
        await index.aclose()
