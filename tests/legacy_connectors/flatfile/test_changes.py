"""The flat-file change feed: the benefits department's nightly generations compared by key,
record bytes against record bytes."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures.benefits import source_options, write, write_next
from fixtures.generate import generate
from fixtures.model import Population
from legacy_connectors.errors import ChangesExpiredError
from legacy_connectors.flatfile import FlatFileConnector
from legacy_connectors.testing.changes import read_changes


@pytest.fixture(scope="module")
def population() -> Population:
    return generate(people=120, seed=17, noise="clean", as_of=date(2026, 3, 1))


@pytest.fixture
async def served(population: Population, tmp_path: Path) -> AsyncIterator[FlatFileConnector]:
    write(population, tmp_path)
    connector = FlatFileConnector.from_options("benefits", source_options(tmp_path))
    assert isinstance(connector, FlatFileConnector)
    await connector.open()
    yield connector
    await connector.aclose()


def _claimants(population: Population) -> list[str]:
    return sorted({c.nino for p in population.people for c in p.benefits})


async def test_identical_extract_lists_nothing(
    population: Population, served: FlatFileConnector, tmp_path: Path
) -> None:
    """The next night's extract with the same claims (a new name and header) lists nothing."""
    cursor = await served.change_cursor()
    write_next(population, tmp_path)
    pages, changed, removed = await read_changes(served, cursor)
    assert not changed and not removed
    assert json.loads(pages[-1].cursor) != json.loads(cursor)


async def test_changed_added_and_removed_claimants(
    population: Population, served: FlatFileConnector, tmp_path: Path
) -> None:
    """A changed award lists its claimant with every claim as decoded now; a claimant gone
    from the extract is listed as removed; a claimant new in it as changed."""
    changed_nino, removed_nino = _claimants(population)[:2]
    newcomer = generate(people=1, seed=99, noise="clean", as_of=population.as_of).people
    people = [
        replace(
            p,
            benefits=[
                replace(c, award_amount=c.award_amount + Decimal("2.00"))
                if c.nino == changed_nino
                else c
                for c in p.benefits
                if c.nino != removed_nino
            ],
        )
        for p in population.people
    ]
    new_ninos = sorted({c.nino for p in newcomer for c in p.benefits})
    cursor = await served.change_cursor()
    write_next(replace(population, people=people + newcomer), tmp_path)
    _, changed, removed = await read_changes(served, cursor, batch_size=1)
    assert sorted(changed) == sorted([changed_nino, *new_ninos])
    assert removed == [removed_nino]
    claims = [c for p in people for c in p.benefits if c.nino == changed_nino]
    assert sorted(r["AWARD_AMOUNT"] for r in changed[changed_nino]) == sorted(
        c.award_amount for c in claims
    )


async def test_generation_rewritten_in_place_has_expired(
    population: Population, served: FlatFileConnector, tmp_path: Path
) -> None:
    """A cursor whose generation file was rewritten in place (another size or time) cannot be
    compared with any more: ChangesExpiredError."""
    cursor = await served.change_cursor()
    [old] = (tmp_path / "benefits").glob("BENEFITS.D*")
    write_next(population, tmp_path)
    os.utime(old, ns=(1, 1))
    with pytest.raises(ChangesExpiredError, match="no longer on disk as it was"):
        await read_changes(served, cursor)


async def test_single_file_source_has_no_feed(population: Population, tmp_path: Path) -> None:
    """A source serving one ``file`` keeps no older generation: it offers no change feed."""
    write(population, tmp_path)
    [batch] = (tmp_path / "benefits").glob("BENEFITS.D*")
    options = {**source_options(tmp_path), "file": str(batch)}
    del options["directory"]
    connector = FlatFileConnector.from_options("benefits", options)
    assert not connector.tracks_changes
    with pytest.raises(NotImplementedError):
        await connector.change_cursor()
