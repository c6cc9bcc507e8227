"""Every benchmark script still runs: its ``--smoke`` mode exits 0 and prints one JSON line."""

from __future__ import annotations

import json
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
