"""Change-feed cursors as versioned JSON text: one way to write them and one way to read them
back, refusing text no source of the kind gave with
:class:`~legacy_connectors.errors.ChangesExpiredError` (the caller then reads the source whole).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from legacy_connectors.errors import ChangesExpiredError

__all__ = ["CURSOR_VERSION", "cursor_text", "read_cursor"]

CURSOR_VERSION = 1
"""The version every cursor carries as ``v``; a cursor of another version is refused."""

T = TypeVar("T")


def cursor_text(**fields: Any) -> str:
    """A cursor holding ``fields`` (JSON values), as compact opaque text."""
    return json.dumps({"v": CURSOR_VERSION, **fields}, separators=(",", ":"))


def read_cursor(text: str, service: str, kind: str, read: Callable[[dict[str, Any]], T]) -> T:
    """What ``read`` makes of the cursor ``text``'s fields. Text that is not a cursor of this
    version, or whose fields ``read`` refuses (``ValueError`` or ``TypeError``), raises
    ``ChangesExpiredError`` naming ``service`` and the ``kind`` of source."""
    try:
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
            raise ValueError("unknown cursor version")
        return read(body)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ChangesExpiredError(
            f"{service}: the change cursor is not one this {kind} source gave",
            service=service,
            detail=f"{type(exc).__name__}: {exc}"[:200],
        ) from None
