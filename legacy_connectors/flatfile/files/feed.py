"""The flat-file change feed's cursor: which generation it stands at (and, part way through a
comparison, which generation it compares with and the last key delivered).

A generation is identified by its file name, size and modification time: a cursor whose file
is gone (retention) or was rewritten in place can no longer be compared with, and the feed
raises :class:`~legacy_connectors.errors.ChangesExpiredError`. The cursor text is JSON; it is
opaque to callers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legacy_connectors.cursors import cursor_text, read_cursor
from legacy_connectors.errors import ChangesExpiredError
from legacy_connectors.flatfile.files.dataset import Generation

__all__ = ["FeedCursor", "GenerationId", "expired"]


@dataclass(frozen=True, slots=True)
class GenerationId:
    """One generation file as it was when read: name, size in bytes, mtime in nanoseconds."""

    name: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, gen: Generation) -> GenerationId:
        """The identity of a loaded generation (from the fingerprint taken when it was read)."""
        _path, _inode, size, mtime_ns = gen.print
        return cls(gen.path.name, size, mtime_ns)

    def matches(self, path: Path) -> bool:
        """Whether ``path`` is still this generation (present, same size and mtime)."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns

    def as_json(self) -> list[Any]:
        return [self.name, self.size, self.mtime_ns]

    @classmethod
    def from_json(cls, value: Any) -> GenerationId:
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not isinstance(value[0], str)
            or not value[0]
            or "/" in value[0]
            or value[0] in (".", "..")
            or not all(type(v) is int and v >= 0 for v in value[1:])
        ):
            raise ValueError("not a generation identity")
        return cls(value[0], value[1], value[2])


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """Where a reader of the feed stands: at generation ``start``, or part way from ``start``
    to ``target`` with every key up to ``after`` (raw index bytes) delivered."""

    start: GenerationId
    target: GenerationId | None = None
    after: bytes | None = None

    def text(self) -> str:
        """The cursor as opaque text."""
        if self.target is not None and self.after is not None:
            return cursor_text(
                at=self.start.as_json(), to=self.target.as_json(), after=self.after.hex()
            )
        return cursor_text(at=self.start.as_json())

    @classmethod
    def parse(cls, text: str, service: str) -> FeedCursor:
        """The cursor ``text`` stands for; ``ChangesExpiredError`` when it is no cursor of a
        flat-file feed (the caller then reads the source whole, as for an expired one)."""

        def read(body: dict[str, Any]) -> FeedCursor:
            start = GenerationId.from_json(body.get("at"))
            if "to" not in body and "after" not in body:
                return cls(start)
            after = body.get("after")
            if not isinstance(after, str):
                raise ValueError("'after' is not text")
            return cls(start, GenerationId.from_json(body.get("to")), bytes.fromhex(after))

        return read_cursor(text, service, "flat-file", read)


def expired(service: str, gen: GenerationId, why: str) -> ChangesExpiredError:
    """The error for a cursor whose generation cannot be compared with any more."""
    return ChangesExpiredError(
        f"{service}: generation {gen.name} of the change cursor {why}; read the source whole",
        service=service,
    )
