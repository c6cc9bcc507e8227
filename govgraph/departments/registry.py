"""Find department declarations: the built-ins, then those installed under an entry point.

A package adds a department by registering its :class:`~govgraph.departments.Department` in
the ``govgraph.departments`` entry-point group, e.g. in its ``pyproject.toml``::

    [project.entry-points."govgraph.departments"]
    counciltax = "govgraph_counciltax.department:DEPARTMENT"

Setting the environment variable ``GOVGRAPH_BUILTIN_DEPARTMENTS_ONLY=1`` ignores the entry
points (the committed schema snapshot is printed that way). The set is read once per process
(the schema is built from it) and checked as a whole
(:func:`check_departments`); an invalid set stops start-up and ``govgraph config check``.
"""

from __future__ import annotations

import functools
import importlib
import os
from importlib.metadata import entry_points

from govgraph.departments.model import Department, WriteCommand
from govgraph.departments.validate import DepartmentError, check_departments
from legacy_connectors.errors import ConfigurationError

__all__ = [
    "BUILTIN_DEPARTMENTS",
    "BUILTIN_ONLY_ENV",
    "ENTRY_POINT_GROUP",
    "address_change_command",
    "all_departments",
    "department_problems",
    "department_with_command",
    "departments",
    "installed_departments",
    "load_declarations",
    "source_with_command",
]

ENTRY_POINT_GROUP = "govgraph.departments"
BUILTIN_ONLY_ENV = "GOVGRAPH_BUILTIN_DEPARTMENTS_ONLY"
"""Environment variable that, set to ``1``, leaves installed departments out."""

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
    if os.environ.get(BUILTIN_ONLY_ENV) == "1":
        return found
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


def department_with_command(command: str) -> Department | None:
    """The department that declares the write ``command``, if one does."""
    for d in all_departments():
        if any(w.name == command for w in d.writes):
            return d
    return None


def source_with_command(command: str) -> str:
    """The source of the department that declares the write ``command`` (empty if none)."""
    found = department_with_command(command)
    return "" if found is None else found.source_name


def address_change_command(source: str) -> WriteCommand | None:
    """The write command a change of address reaches ``source``'s department through."""
    for d in all_departments():
        if d.source_name == source:
            return next((w for w in d.writes if w.address_change), None)
    return None


def installed_departments() -> list[str]:
    """Ids of the declared departments that come from installed packages."""
    return [d.id for origin, d in load_declarations() if origin != "builtin"]


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
