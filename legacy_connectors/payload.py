"""Reading a write command's payload by dotted path: one rule for every connector kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["payload_value"]


def payload_value(payload: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``payload``; ``KeyError`` naming the path if absent.

    Each part of the path is a key of a mapping, or a number selecting an item of a list or
    tuple (``address.lines.0`` is the first address line). A key that is itself a number is
    looked up as a key first.
    """
    current: Any = payload
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list | tuple) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(path)
    return current
