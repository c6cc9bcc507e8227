"""Pooled async engines for SQLite, PostgreSQL and MariaDB/MySQL, built from settings.

Any SQLAlchemy URL is accepted (``postgresql://``, ``mysql+pymysql://``, ``sqlite:///x.db``);
the async driver of its backend is chosen (aiosqlite, asyncpg, aiomysql). Sessions are set up
on connect: statement timeout and read-only where the engine supports them. A SQLite file is
opened without creating it, so a missing database is an error rather than a new empty file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "ASYNC_DRIVERS",
    "EngineOptions",
    "async_url",
    "build_engine",
    "parameter_limit",
    "timeout_statements",
]

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
}
DEFAULT_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Connection settings shared by every database of a source."""

    pool_size: int = 5
    pool_timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    statement_timeout_ms: int = 5000
    read_only: bool = True
    scan_statement_timeout_ms: int = 55_000


def async_url(url: str | URL, *, read_only: bool = False, create: bool = False) -> URL:
    """``url`` with its backend's async driver; SQLite files as URIs that never create a file
    (unless ``create``) and open read-only when ``read_only``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ValueError(
            f"unsupported database backend {backend!r}; known: {sorted(ASYNC_DRIVERS)}"
        )
    parsed = parsed.set(drivername=driver)
    database = parsed.database or ""
    if backend == "sqlite" and database and database != ":memory:" and not create:
        if not database.startswith("file:"):
            database = "file:" + str(Path(database).resolve())
        query = dict(parsed.query)
        query["mode"] = "ro" if read_only else "rw"
        query["uri"] = "true"
        parsed = parsed.set(database=database, query=query)
    return parsed


def parameter_limit(backend: str) -> int:
    """Most bound parameters one statement may carry on ``backend``."""
    if backend == "sqlite":
        return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
    if backend == "postgresql":
        return 32767
    return 65535


def default_chunk(backend: str) -> int:
    """Keys per ``IN`` list when the settings give none: well below the parameter limit."""
    return min(DEFAULT_CHUNK, parameter_limit(backend) - 16)


def timeout_statements(backend: str, timeout_ms: int) -> list[str]:
    """Alternative statements (the first that runs wins) giving the session's statements
    ``timeout_ms`` (0: none) on a server engine; empty for SQLite."""
    if backend == "postgresql":
        return [f"SET statement_timeout = {int(timeout_ms)}"]
    if backend == "mysql":
        return [
            f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}",
            f"SET SESSION max_execution_time = {int(timeout_ms)}",
        ]
    return []


def _session_statements(backend: str, options: EngineOptions) -> list[list[str]]:
    """Statements run on each new connection; each inner list holds alternatives (first wins)."""
    if backend == "sqlite":
        return [["PRAGMA query_only = ON"]] if options.read_only else []
    if backend == "mysql":
        statements: list[list[str]] = []
        if options.statement_timeout_ms:
            statements.append(timeout_statements(backend, options.statement_timeout_ms))
        if options.read_only:
            statements.append(["SET SESSION TRANSACTION READ ONLY"])
        return statements
    return []


def build_engine(url: str | URL, options: EngineOptions) -> AsyncEngine:
    """A pooled async engine for ``url`` with ``options`` applied to every session."""
    target = async_url(url, read_only=options.read_only)
    backend = target.get_backend_name()
    kwargs: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["timeout"] = options.connect_timeout_s
        server_settings = {"application_name": "govgraph"}
        if options.statement_timeout_ms:
            server_settings["statement_timeout"] = str(options.statement_timeout_ms)
        if options.read_only:
            server_settings["default_transaction_read_only"] = "on"
        connect_args["server_settings"] = server_settings
    elif backend == "mysql":
        connect_args["connect_timeout"] = max(1, round(options.connect_timeout_s))
    else:
        connect_args["timeout"] = options.connect_timeout_s
    if target.database not in (None, "", ":memory:"):
        kwargs.update(
            pool_size=options.pool_size, max_overflow=0, pool_timeout=options.pool_timeout_s
        )
    engine = create_async_engine(target, connect_args=connect_args, **kwargs)
    statements = _session_statements(backend, options)
    if statements:

        @event.listens_for(engine.sync_engine, "connect")
        def _prepare_session(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                for alternatives in statements:
                    for number, statement in enumerate(alternatives, start=1):
                        try:
                            cursor.execute(statement)
                            break
                        except Exception:
                            if number == len(alternatives):
                                raise
            finally:
                cursor.close()

    return engine
