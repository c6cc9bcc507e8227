"""Dotted paths into request arguments and response values, and zeep values as plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeep.helpers import serialize_object

__all__ = ["get_path", "merge_path", "to_plain"]


def merge_path(target: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``value`` at dotted ``path`` inside ``target`` (creating dicts on the way)."""
    parts = path.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return target


def get_path(value: Any, path: str | None) -> Any:
    """The value at dotted ``path`` inside nested dicts; ``None`` when any step is missing."""
    if not path:
        return value
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def to_plain(value: Any) -> Any:
    """A zeep value as plain ``dict``/``list``/scalars, as ``serialize_object`` gives them."""
    return _plain(serialize_object(value, dict))  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
