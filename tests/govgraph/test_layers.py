"""Code above the sources layer talks to a ``Source``, never to the connector behind it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ABOVE_SOURCES = ("govgraph", "resolvers", "schema")
"""Packages whose code sits above ``govgraph.sources`` (import-linter checks their imports)."""

SOURCES_LAYER = ("govgraph/sources.py", "govgraph/resilience")
"""The sources layer itself, which owns each source's connector."""


def _modules_above_sources() -> list[Path]:
    found = []
    for package in ABOVE_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(SOURCES_LAYER):
                found.append(path)
    return found


def _connector_accesses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "connector"
    ]


def test_nothing_above_sources_reads_a_source_connector() -> None:
    """No module in govgraph/ (outside sources), resolvers/ or schema/ reads ``.connector``."""
    modules = _modules_above_sources()
    assert len(modules) > 50
    assert [hit for path in modules for hit in _connector_accesses(path)] == []


def test_the_check_sees_an_access() -> None:
    """The check finds ``source.connector`` when it is written (so a pass means something)."""
    probe = ROOT / "govgraph" / "sources.py"
    assert _connector_accesses(probe)


def test_every_gateway_module_has_a_layer() -> None:
    """Each module and package directly under govgraph/ is named in the ``layers`` contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    named = {
        name.strip().strip("()") for layer in layers["layers"] for name in re.split(r"[|:]", layer)
    }
    children = {
        f"govgraph.{path.stem if path.suffix else path.name}"
        for path in (ROOT / "govgraph").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert sorted(children - named) == []
    assert {"resolvers", "schema", "legacy_connectors"} <= named
