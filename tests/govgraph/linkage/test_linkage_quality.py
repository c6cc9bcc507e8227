"""Linkage quality on generated populations, measured by ``evaluate`` against the truth file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from fixtures.generate import generate, truth_rows
from fixtures.population.records import memory_connectors
from govgraph.index import CitizenIndex
from govgraph.linkage import Evaluation, evaluate, link

AS_OF = date(2026, 11, 27)


async def _linked(tmp_path: Path, people: int, noise: str, seed: int = 3) -> Evaluation:
    population = generate(people, seed, noise, AS_OF)
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in truth_rows(population)))
    index = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'index.db'}")
    await index.open()
    try:
        await link(memory_connectors(population), index)
        return await evaluate(index, truth)
    finally:
        await index.aclose()


async def test_realistic_population_links_precisely(tmp_path: Path) -> None:
    """On realistic noise every linked pair is right and almost every true pair is found."""
    result = await _linked(tmp_path, 1500, "realistic")
    assert result.overall.precision == 1.0
    assert result.overall.recall >= 0.99
    assert result.merged == 0
    assert set(result.pairs) >= {
        "tax~benefits",
        "tax~passports",
        "passports~vehicles",
        "vehicles~parking",
    }
    assert result.pairs["tax~benefits"].recall == 1.0


async def test_hard_population_keeps_precision(tmp_path: Path) -> None:
    """On hard noise (combined variations and twins) precision stays at least 99.5 %."""
    result = await _linked(tmp_path, 1500, "hard")
    assert result.overall.precision >= 0.995
    assert result.overall.recall >= 0.9


async def test_evaluation_serialises(tmp_path: Path) -> None:
    """The evaluation has per-pair and overall figures in JSON and a readable table."""
    result = await _linked(tmp_path, 200, "clean")
    figures = result.to_json()
    assert figures["precision"] == 1.0 and figures["people"] == 200
    assert figures["pairs"]["tax~passports"]["true_pairs"] > 0
    assert "tax~passports" in result.summary()


@pytest.mark.slow
async def test_realistic_targets_at_scale(tmp_path: Path) -> None:
    """With 30,000 realistic people precision is at least 99.9 % and recall at least 99 %."""
    result = await _linked(tmp_path, 30_000, "realistic", seed=5)
    assert result.overall.precision >= 0.999
    assert result.overall.recall >= 0.99
    assert all(q.precision >= 0.999 for q in result.pairs.values())
