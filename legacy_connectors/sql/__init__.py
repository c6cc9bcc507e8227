"""The ``sql`` connector kind: legacy SQL tables read through explicit, readable mappings.

Works on SQLite (aiosqlite), PostgreSQL (asyncpg) and MariaDB/MySQL (aiomysql) from the same
settings; a source may be one database or a set queried in parallel and merged.
"""

from __future__ import annotations

import typing

from legacy_connectors import lazy as _lazy

if typing.TYPE_CHECKING:
    from legacy_connectors.sql.connector import SqlConnector
    from legacy_connectors.sql.drift import Drift
    from legacy_connectors.sql.engines import async_url, parameter_limit
    from legacy_connectors.sql.settings import (
        ChildMapping,
        ColumnSpec,
        DatabaseSettings,
        KeySpec,
        SqlSettings,
        TableMapping,
    )

__all__ = [
    "ChildMapping",
    "ColumnSpec",
    "DatabaseSettings",
    "Drift",
    "KeySpec",
    "SqlConnector",
    "SqlSettings",
    "TableMapping",
    "async_url",
    "parameter_limit",
]

__getattr__ = _lazy.lazy_exports(
    globals(),
    {
        "SqlConnector": "legacy_connectors.sql.connector",
        "Drift": "legacy_connectors.sql.drift",
        "async_url": "legacy_connectors.sql.engines",
        "parameter_limit": "legacy_connectors.sql.engines",
        "ChildMapping": "legacy_connectors.sql.settings",
        "ColumnSpec": "legacy_connectors.sql.settings",
        "DatabaseSettings": "legacy_connectors.sql.settings",
        "KeySpec": "legacy_connectors.sql.settings",
        "SqlSettings": "legacy_connectors.sql.settings",
        "TableMapping": "legacy_connectors.sql.settings",
    },
)
