"""Find department declarations: the built-ins, then those installed under an entry point.

A package adds a department by registering its :class:`~govgraph.departments.Department` in
the ``govgraph.departments`` entry-point group, e.g. in its ``pyproject.toml``::

    [project.entry-points."govgraph.departments"]
    counciltax = "govgraph_counciltax.department:DEPARTMENT"

The set is read once per process (the schema is built from it) and checked as a whole
(:func:`check_departments`); an invalid set stops start-up and ``govgraph config check``.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points

from govgraph.departments.model import Department
from govgraph.departments.validate import DepartmentError, check_departments
from legacy_connectors.errors import ConfigurationError

__all__ = [
    "BUILTIN_DEPARTMENTS",
    "ENTRY_POINT_GROUP",
    "all_departments",
    "department_problems",
    "departments",
    "load_declarations",
]

ENTRY_POINT_GROUP = "govgraph.departments"

BUILTIN_DEPARTMENTS: dict[str, str] = {
    name: f"govgraph.departments.builtin.{name}:DEPARTMENT"
    for name in ("tax", "benefits", "passports", "vehicles", "parking", "property")
}
"""Built-in declarations by id, as ``module:attribute`` targets."""


def _load(origin: str, target: str) -> Department:
    module_name, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"departments.{origin}: registered as {target!r}, which cannot be imported: {exc}; "
            f"fix: install the package that provides it or remove its entry point"
        ) from exc
    if not isinstance(obj, Department):
        raise ConfigurationError(
            f"departments.{origin}: {target!r} is a {type(obj).__name__}, not a Department; "
            f"fix: point the entry point at a govgraph.departments.Department"
        )
    return obj


def load_declarations() -> list[tuple[str, Department]]:
    """Every declaration with where it came from (``builtin`` or the entry point's value)."""
    found = [("builtin", _load(name, target)) for name, target in BUILTIN_DEPARTMENTS.items()]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        found.append((ep.value, _load(ep.name, ep.value)))
    return found


@functools.cache
def _checked() -> tuple[tuple[Department, ...], tuple[str, ...]]:
    try:
        declared = load_declarations()
    except ConfigurationError as exc:
        return (), (exc.message,)
    problems = check_departments(declared)
    return tuple(d for _, d in declared), tuple(problems)


def department_problems() -> list[str]:
    """What is wrong with the installed declarations (empty when they are consistent)."""
    return list(_checked()[1])


def all_departments() -> tuple[Department, ...]:
    """Every declared department, built-ins first; raise :class:`DepartmentError` if the set is
    inconsistent."""
    found, problems = _checked()
    if problems:
        raise DepartmentError(list(problems))
    return found


def departments() -> dict[str, Department]:
    """Every declared department by id (see :func:`all_departments`)."""
    return {d.id: d for d in all_departments()}
