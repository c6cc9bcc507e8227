"""``govgraph new-connector``: a package skeleton whose placeholder connector already conforms."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from govgraph.cli import main
from govgraph.scaffold import names_for
from legacy_connectors.base import Connector
from legacy_connectors.testing import checks

ROOT = Path(__file__).resolve().parents[2]


def test_skeleton_has_entry_point_class_test_and_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The skeleton's pyproject registers the kind's class under govgraph.connectors."""
    assert main(["new-connector", "land_charges", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "govgraph-land-charges"
    assert f"wrote {root}" in capsys.readouterr().out
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "govgraph-land-charges"
    entry = project["project"]["entry-points"]["govgraph.connectors"]
    assert entry == {"land_charges": "govgraph_land_charges:LandChargesConnector"}
    assert (root / "src" / "govgraph_land_charges" / "connector.py").is_file()
    conformance = (root / "tests" / "test_conformance.py").read_text()
    assert "class TestLandChargesConnectorConformance(ConnectorConformance):" in conformance
    assert 'kind = "land_charges"' in conformance
    assert "pip install -e ." in (root / "README.md").read_text()


async def test_placeholder_connector_passes_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The skeleton's in-memory connector passes the conformance checks as written."""
    assert main(["new-connector", "land_charges", "--dir", str(tmp_path)]) == 0
    names = names_for("land_charges")
    monkeypatch.syspath_prepend(str(tmp_path / "govgraph-land-charges" / "src"))
    module = importlib.import_module(names.module)
    cls: type[Connector] = getattr(module, names.cls)
    options = {"records": {f"K{n}": {"n": n} for n in range(5)}}
    checks.check_settings(cls, options)

    async def factory() -> Connector:
        return cls.from_options("charges", options)

    connector = await factory()
    await connector.open()
    try:
        await checks.check_batch_matches_single_calls(connector, ["K1", "K3"], ["K9"])
        await checks.check_duplicates_and_empty_batch(connector, ["K1", "K3"], ["K9"])
        await checks.check_missing_keys(connector, ["K1"], ["K9"])
        await checks.check_health(connector)
        await checks.check_concurrent_batches(connector, ["K1", "K2", "K4"], ["K9"])
        assert await checks.check_scan(connector)
    finally:
        await connector.aclose()
    await checks.check_aclose_idempotent(factory, "K1")
    for name in [m for m in sys.modules if m.startswith(names.module)]:
        monkeypatch.delitem(sys.modules, name)


def test_bad_names_and_taken_kinds_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names that are not identifiers, kinds already installed and existing folders exit 2."""
    assert main(["new-connector", "Land-Charges", "--dir", str(tmp_path)]) == 2
    assert "lower case letters" in capsys.readouterr().err
    assert main(["new-connector", "sql", "--dir", str(tmp_path)]) == 2
    assert "already installed" in capsys.readouterr().err
    assert main(["new-connector", "charges", "--dir", str(tmp_path)]) == 0
    assert main(["new-connector", "charges", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_skeleton_installs_and_its_conformance_suite_passes(tmp_path: Path) -> None:
    """pip installs the skeleton; its conformance test finds the kind by entry point and passes;
    it is lint-, format- and strict-type-clean."""
    assert main(["new-connector", "scaffold_probe", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "govgraph-scaffold-probe"
    pip = ("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation")
    installed = _run(*pip, str(root))
    assert installed.returncode == 0, installed.stderr
    try:
        suite = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=root)
        assert suite.returncode == 0, suite.stdout[-3000:]
        assert "9 passed, 10 skipped" in suite.stdout
        lint = _run("-m", "ruff", "check", "--no-cache", str(root))
        assert lint.returncode == 0, lint.stdout
        types = _run("-m", "mypy", "--strict", str(root / "src"))
        assert types.returncode == 0, types.stdout
    finally:
        _run("-m", "pip", "uninstall", "--quiet", "--yes", "govgraph-scaffold-probe")
