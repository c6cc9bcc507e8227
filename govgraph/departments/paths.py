"""Values out of a plain record by a dotted path (``Name.FamilyName``, ``vehicles[].vrm``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["first_at", "head", "values_at"]


def head(path: str) -> str:
    """The top-level field a path starts with."""
    return path.split(".", 1)[0].removesuffix("[]")


def values_at(record: Any, path: str) -> list[Any]:
    """Every value at ``path``: a segment ending in ``[]`` walks a list; missing parts give
    nothing; a list reached without ``[]`` is returned whole, as one value."""
    current: list[Any] = [record]
    for segment in path.split("."):
        many = segment.endswith("[]")
        name = segment.removesuffix("[]")
        found: list[Any] = []
        for value in current:
            if not isinstance(value, Mapping):
                continue
            child = value.get(name)
            if child is None:
                continue
            if many:
                found.extend(child if isinstance(child, list | tuple) else [child])
            else:
                found.append(child)
        current = found
    return current


def first_at(record: Any, path: str | None) -> Any:
    """The first value at ``path``, or ``None``."""
    if not path:
        return None
    found = values_at(record, path)
    return found[0] if found else None
