"""The citizen index: one opaque citizen id mapped to each department's keys.

``CitizenIndex`` is the store (SQLite via aiosqlite by default, PostgreSQL via asyncpg);
the linker (:mod:`govgraph.linkage`) writes it, the gateway's per-request loaders read it.
"""

from __future__ import annotations

from govgraph.index.store import CitizenIndex, CitizenIndexError
from govgraph.index.types import (
    ACTIVE,
    WITHDRAWN,
    CitizenProfile,
    IndexChanges,
    Link,
    LinkKey,
    Review,
    new_citizen_id,
)
from govgraph.index.window import Window

__all__ = [
    "ACTIVE",
    "WITHDRAWN",
    "CitizenIndex",
    "CitizenIndexError",
    "CitizenProfile",
    "IndexChanges",
    "Link",
    "LinkKey",
    "Review",
    "Window",
    "new_citizen_id",
]
