"""The core names no department: departments exist only as declarations.

Every string literal in ``schema/``, ``resolvers/`` and ``govgraph/`` (outside
``govgraph/departments/``) is compared with each declared department's id, source name, enum
value and display name; a match fails with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from govgraph.departments import all_departments

ROOT = Path(__file__).resolve().parents[2]
CORE = ("schema", "resolvers", "govgraph")
DECLARATIONS = ROOT / "govgraph" / "departments"


def _names() -> set[str]:
    names: set[str] = set()
    for d in all_departments():
        names |= {d.id, d.source_name, d.enum_value, d.name}
    return names


def _core_files() -> list[Path]:
    files = [p for folder in CORE for p in sorted((ROOT / folder).rglob("*.py"))]
    return [p for p in files if DECLARATIONS not in p.parents]


def department_mentions(files: list[Path] | None = None, root: Path = ROOT) -> list[str]:
    """``file:line: 'literal'`` for every literal in ``files`` (default: the core's) that names
    a department."""
    names = _names()
    found: list[str] = []
    for path in _core_files() if files is None else files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value in names
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    return found


def test_core_code_names_no_department() -> None:
    """No string literal in the core is a declared department's id, source, enum value or
    name."""
    mentions = department_mentions()
    assert not mentions, "departments named outside their declarations:\n" + "\n".join(mentions)


def test_the_scan_finds_a_department_name(tmp_path: Path) -> None:
    """A literal naming a declared department is reported with its file and line."""
    probe = tmp_path / "probe.py"
    name = all_departments()[0].id
    probe.write_text(f'"""Probe {name}."""\n\nSOURCE = {name!r}\n', encoding="utf-8")
    assert department_mentions([probe], tmp_path) == [f"probe.py:3: {name!r}"]
