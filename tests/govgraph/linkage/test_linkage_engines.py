"""The DuckDB blocking path gives exactly the in-process path's links on a generated population."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import pytest

from fixtures.generate import generate
from fixtures.population.records import memory_connectors
from govgraph.departments import all_departments
from govgraph.linkage.candidates import Node, block_pairs, build_nodes, candidates
from govgraph.linkage.compare import Pattern
from govgraph.linkage.decide import Outcome, decide
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.sources import mappers

duckdb = pytest.importorskip("duckdb", reason="the DuckDB path needs pip install -e '.[scale]'")

from govgraph.linkage.engine_duckdb import duckdb_pairs  # noqa: E402


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


def _link(nodes: list[Node], engine: str) -> tuple[Outcome, FSModel, int]:
    model = FSModel()
    pairs = duckdb_pairs(nodes) if engine == "duckdb" else None
    found, compared = candidates(nodes, model, pairs)
    vectors: Counter[Pattern] = Counter()
    for c in found:
        vectors[c.pattern] += c.count
    model.fit(vectors)
    return decide(nodes, found, model), model, compared


def test_duckdb_blocking_gives_the_in_process_links_on_10000_people() -> None:
    """On 10,000 hard-noise people both paths compare the same pairs and link identically."""
    nodes = _nodes(10_000, 17, "hard")
    assert set(duckdb_pairs(nodes)) == set(block_pairs(nodes))
    ours, our_model, our_compared = _link(nodes, "python")
    theirs, their_model, their_compared = _link(nodes, "duckdb")
    assert our_compared == their_compared > 20_000
    assert our_model.to_json() == their_model.to_json()
    links = {(e.a, e.b, e.method, round(e.probability, 9)) for e in ours.links}
    assert len(links) > 10_000
    assert links == {(e.a, e.b, e.method, round(e.probability, 9)) for e in theirs.links}
    assert sorted(map(sorted, ours.clusters)) == sorted(map(sorted, theirs.clusters))
    assert {(e.a, e.b) for e in ours.reviews} == {(e.a, e.b) for e in theirs.reviews}
