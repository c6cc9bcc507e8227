"""Every linkage engine gives exactly the in-process engine's links on a generated population."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from fixtures.generate import generate, write_all
from fixtures.population.records import memory_connectors
from govgraph.cli import main
from govgraph.commands.link import ENGINES as CLI_ENGINES
from govgraph.departments import all_departments
from govgraph.index import CitizenIndex
from govgraph.linkage import link
from govgraph.linkage.candidates import Node, build_nodes
from govgraph.linkage.decide import Outcome
from govgraph.linkage.engines import ENGINES, Engine, UnknownEngine, open_engine
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.sources import mappers
from legacy_connectors.base import Record


async def _identities(people: int, seed: int, noise: str) -> list[Identity]:
    population = generate(people, seed, noise, date(2026, 11, 27))
    by_source = mappers(all_departments())
    out: list[Identity] = []
    for name, connector in memory_connectors(population).items():
        mapper = by_source.get(name)
        if mapper is None or mapper.attaches:
            continue
        async for batch in connector.scan(1000):
            out += [i for k, r in batch if (i := mapper.identity(k, r)) is not None]
    return out


def _nodes(people: int, seed: int, noise: str) -> list[Node]:
    numbers: dict[str, int] = {}
    kinds: dict[str, tuple[int, str]] = {}
    for d in all_departments():
        if d.identity is not None and d.identity.attach_by is None:
            key = d.identity.key
            kinds[d.source_name] = (numbers.setdefault(key, len(numbers)), key)
    return build_nodes(asyncio.run(_identities(people, seed, noise)), kinds)


def _link(nodes: list[Node], engine: str | Engine) -> tuple[Outcome, FSModel, int]:
    model = FSModel()
    computation = open_engine(engine) if isinstance(engine, str) else engine
    try:
        compared, vectors = computation.candidates(nodes, model)
        model.fit(vectors)
        return computation.decide(nodes, model), model, compared
    finally:
        computation.close()


def _same(ours: Outcome, theirs: Outcome) -> None:
    links = {(e.a, e.b, e.method, e.weight, e.probability) for e in ours.links}
    assert links == {(e.a, e.b, e.method, e.weight, e.probability) for e in theirs.links}
    assert sorted(ours.clusters) == sorted(theirs.clusters)
    reviews = [(e.a, e.b, e.probability, e.reason) for e in ours.reviews]
    assert sorted(reviews) == sorted((e.a, e.b, e.probability, e.reason) for e in theirs.reviews)
    counts = (ours.linked_exact, ours.linked_probabilistic, ours.rejected, ours.candidates)
    assert counts == (
        theirs.linked_exact,
        theirs.linked_probabilistic,
        theirs.rejected,
        theirs.candidates,
    )


@pytest.mark.parametrize("noise", ["hard", "realistic"])
def test_duckdb_links_exactly_as_in_process_on_10000_people(noise: str) -> None:
    """On 10,000 people the DuckDB engine compares the same pairs, fits the same model and
    makes the same links, clusters and reviews as the in-process engine."""
    pytest.importorskip("duckdb", reason="the DuckDB engine needs pip install -e '.[scale]'")
    nodes = _nodes(10_000, 17, noise)
    ours, our_model, our_compared = _link(nodes, "memory")
    theirs, their_model, their_compared = _link(nodes, "duckdb")
    assert our_compared == their_compared > 10_000
    assert our_model.to_json() == their_model.to_json()
    assert len(ours.links) > 10_000
    assert len(ours.reviews) > (10 if noise == "hard" else -1)
    _same(ours, theirs)


def test_duckdb_in_parts_links_exactly_as_in_one_part() -> None:
    """With the candidate step cut into parts (as a national population is, to fit in memory)
    DuckDB still compares the same pairs and makes the in-process engine's links, clusters,
    reviews and counts on 10,000 people."""
    pytest.importorskip("duckdb", reason="the DuckDB engine needs pip install -e '.[scale]'")
    from govgraph.linkage.engines.duckdb import DuckDBEngine

    nodes = _nodes(10_000, 23, "hard")
    ours, our_model, our_compared = _link(nodes, "memory")
    whole = DuckDBEngine()
    _link(nodes, whole)
    assert whole.parts == 1
    cut = DuckDBEngine(key_pairs_per_part=10_000)
    theirs, their_model, their_compared = _link(nodes, cut)
    assert cut.parts >= 5
    assert our_compared == their_compared > 10_000
    assert our_model.to_json() == their_model.to_json()
    assert len(ours.links) > 10_000 and len(ours.reviews) > 10
    _same(ours, theirs)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_spark_links_exactly_as_in_process_on_2000_people() -> None:
    """On 2,000 hard-noise people, local Spark makes the in-process engine's links, clusters
    and reviews with the same fitted model."""
    pytest.importorskip("pyspark", reason="the Spark engine needs pip install -e '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17 or later")
    nodes = _nodes(2_000, 17, "hard")
    ours, our_model, our_compared = _link(nodes, "memory")
    theirs, their_model, their_compared = _link(nodes, "spark")
    assert our_compared == their_compared > 2_000
    assert our_model.to_json() == their_model.to_json()
    assert len(ours.links) > 2_000 and len(ours.reviews) > 0
    _same(ours, theirs)


class _Untouchable:
    """A source that fails the test if it is read."""

    def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        raise AssertionError("read before the engine was checked")


async def test_an_unknown_engine_is_refused_before_any_source_is_read(tmp_path: Path) -> None:
    """``link(engine=...)`` names the engines it knows, and reads nothing, for any other name."""
    index = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'index.db'}")
    await index.open()
    try:
        with pytest.raises(UnknownEngine, match="expected one of memory, duckdb, spark"):
            await link({"tax": _Untouchable()}, index, engine="hadoop")
    finally:
        await index.aclose()


def test_the_command_line_offers_every_engine() -> None:
    """``govgraph link --engine`` accepts exactly the engines ``link`` knows."""
    assert CLI_ENGINES == ENGINES


def test_link_command_runs_on_duckdb_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``govgraph link --data DIR --engine duckdb --evaluate -q`` links generated stores through
    the real connectors on DuckDB: its JSON line names the engine and the quality."""
    pytest.importorskip("duckdb", reason="the DuckDB engine needs pip install -e '.[scale]'")
    write_all(generate(150, 1, "realistic", date(2026, 11, 27)), tmp_path / "data")
    argv = ["link", "--data", str(tmp_path / "data"), "--engine", "duckdb", "--evaluate", "-q"]
    assert main(argv) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["link"]["engine"] == "duckdb"
    assert figures["link"]["candidate_pairs"] > 0
    assert figures["precision"] >= 0.99 and figures["recall"] >= 0.99
