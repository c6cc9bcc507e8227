"""The REST plugin installs from ``examples/`` with pip, is found by its entry point and passes
the conformance kit in its own test suite (slow: it builds and installs a wheel)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "examples" / "govgraph-rest"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_pip_install_discovers_and_conforms() -> None:
    """pip installs the plugin; the registry loads `rest` from site-packages; its suite passes."""
    installed = _run(
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--force-reinstall",
        str(PLUGIN),
    )
    assert installed.returncode == 0, installed.stderr
    found = _run(
        "-c",
        "import inspect; from legacy_connectors.registry import known_kinds, load_kind; "
        "cls = load_kind('rest'); "
        "print(known_kinds()['rest']); print(cls.kind); print(inspect.getfile(cls))",
    )
    assert found.returncode == 0, found.stderr
    target, kind, path = found.stdout.split()
    assert target == "govgraph_rest:RestConnector"
    assert kind == "rest"
    assert "site-packages" in path and str(PLUGIN) not in path
    suite = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=PLUGIN)
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and "failed" not in suite.stdout
