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
    assert f"Worst misses ({evaluation.split} people split)" in text
    if evaluation.split:
        assert "pairs not linked" in text
    assert "tax~passports" in text
    assert not re.search(r"""(src|href)=["']?https?:""", text)
    assert "<script" not in text


def test_report_needs_evaluate(tmp_path: Path, capsys: object) -> None:
    """``--report`` without ``--evaluate`` is refused before anything is linked."""
    assert main(["link", "--data", str(tmp_path), "--report", str(tmp_path / "r")]) == 2
