"""The HTML quality report of ``govgraph link --evaluate --report DIR``."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from fixtures.generate import generate, truth_rows
from fixtures.population.records import memory_connectors
from govgraph.cli import main
from govgraph.index import CitizenIndex
from govgraph.linkage import evaluate, link
from govgraph.linkage.quality import LEVEL_NAMES, write_report
from govgraph.linkage.words import count


async def test_report_shows_weights_scores_and_misses(tmp_path: Path) -> None:
    """The page has a weight chart per comparison, the score histogram and the split people."""
    population = generate(400, 5, "hard", date(2026, 11, 27))
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in truth_rows(population)))
    index = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'index.db'}")
    await index.open()
    try:
        report = await link(memory_connectors(population), index)
        evaluation = await evaluate(index, truth)
        page = await write_report(index, truth, evaluation, report.model, tmp_path / "out")
    finally:
        await index.aclose()
    text = page.read_text(encoding="utf-8")
    assert page.name == "index.html" and text.startswith("<!doctype html>")
    for field in LEVEL_NAMES:
        assert f'aria-label="match weights for {field}"' in text
    assert 'aria-label="score histogram by truth"' in text
    assert f"{evaluation.overall.recall:.6f}" in text
    assert f"Worst misses ({count(evaluation.split, 'person')} split)" in text
    if evaluation.split:
        assert re.search(r"<h3>(1 pair|[0-9]+ pairs) not linked</h3>", text)
    assert not re.search(r"\b1 (pairs|people|citizens|open reviews)\b", text)
    assert "tax~passports" in text
    assert not re.search(r"""(src|href)=["']?https?:""", text)
    assert "<script" not in text


def test_report_needs_evaluate(tmp_path: Path, capsys: object) -> None:
    """``--report`` without ``--evaluate`` is refused before anything is linked."""
    assert main(["link", "--data", str(tmp_path), "--report", str(tmp_path / "r")]) == 2


def test_counts_read_in_the_singular_for_one() -> None:
    """One pair, one person, one open review; any other count is plural."""
    assert count(1, "pair") == "1 pair"
    assert count(0, "pair") == "0 pairs"
    assert count(2, "open review") == "2 open reviews"
    assert count(1, "person") == "1 person"
    assert count(3, "person") == "3 people"
