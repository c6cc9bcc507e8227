"""Every benchmark script still runs: its ``--smoke`` mode exits 0 and prints one JSON line."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def _scripts() -> list[Path]:
    """Every runnable script in ``bench/`` (helpers such as harness.py have no main block)."""
    return sorted(
        path
        for path in BENCH.glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    )


def test_every_bench_is_found() -> None:
    """The glob finds the benchmark scripts, so a new one is smoke-tested without a list."""
    names = {path.name for path in _scripts()}
    assert {"throughput.py", "fanout.py", "sql.py", "flatfile.py"} <= names
    assert "harness.py" not in names


@pytest.mark.slow
@pytest.mark.parametrize("script", _scripts(), ids=lambda path: path.stem)
def test_bench_smoke(script: Path) -> None:
    """``python bench/X.py --smoke`` exits 0 and its stdout holds exactly one JSON object line."""
    result = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    objects = []
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            objects.append(json.loads(line))
    assert len(objects) == 1, result.stdout[-3000:]
    assert isinstance(objects[0], dict) and objects[0]


@pytest.mark.slow
def test_linkage_vs_splink_smoke_scores_both_linkers() -> None:
    """The Splink comparison scores both linkers at both noise levels (skipped without Splink,
    except under ``CI=true``, which installs the bench extra: there a missing Splink fails)."""
    if importlib.util.find_spec("splink") is None:
        message = "splink is not installed: pip install -e '.[bench]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [sys.executable, str(BENCH / "linkage_vs_splink.py"), "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    for noise in ("realistic", "hard"):
        for side in ("govgraph", "splink"):
            side_figures = figures[noise][side]
            assert 0.9 <= side_figures["precision"] <= 1.0, side_figures
            assert 0.8 <= side_figures["recall"] <= 1.0, side_figures
            assert side_figures["true_pairs"] > 0 and side_figures["seconds"] > 0
