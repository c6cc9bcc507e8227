"""The one place where SQLAlchemy, driver and OS exceptions become the project's typed errors.

Messages name the database (``service``) and, for a schema mismatch, the mapping key that no
longer matches; they never carry SQL text or bound parameters. ``detail`` keeps the driver's
own error class and code for operators.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exc as sa_exc

from legacy_connectors.errors import (
    ConfigurationError,
    LegacyError,
    NotAuthorisedError,
    ProtocolError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.sql.settings import TableMapping

__all__ = ["mapping_keys_in", "translate"]

_PG_TIMEOUT = {"57014"}
_PG_SCHEMA = {"42P01", "42703", "3F000"}
_PG_AUTH_PREFIX = "28"
_PG_UNAVAILABLE = {"3D000", "57P01", "57P02", "57P03"}
_PG_BUSY = {"53300", "53400"}
_MY_TIMEOUT = {1969, 3024, 1317}
_MY_SCHEMA = {1146, 1054, 1109}
_MY_AUTH = {1044, 1045, 1698}
_MY_UNAVAILABLE = {1049, 2002, 2003, 2005, 2006, 2013, 2055}
_MY_BUSY = {1040, 1203}
_DISCONNECTED = {"InterfaceError", "ConnectionDoesNotExistError", "ConnectionResetError"}
"""Driver error classes (asyncpg, PyMySQL) raised on a connection that is gone."""
_STATEMENT_FRAGMENT = re.compile(r"\bnear\b|\[SQL:|\bat character\b", re.IGNORECASE)
"""Where drivers start quoting the statement (MySQL ``near '...'``, SQLite ``near "..."``)."""
_SQLITE_SCHEMA = ("no such table", "no such column")
_SQLITE_UNAVAILABLE = ("unable to open database", "disk i/o error", "file is not a database")
_SQLITE_BUSY = ("database is locked", "database table is locked")


def _driver_error(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None) or exc
    return orig.__cause__ if orig.__cause__ is not None else orig


def _code(exc: BaseException) -> tuple[str | None, int | None]:
    """The SQLSTATE (PostgreSQL) and error number (MySQL) found on ``exc`` or its cause."""
    orig = getattr(exc, "orig", None) or exc
    for candidate in (orig, orig.__cause__):
        if candidate is None:
            continue
        args: tuple[Any, ...] = tuple(getattr(candidate, "args", ()))
        if args and isinstance(args[0], int):
            return None, args[0]
        sqlstate = getattr(candidate, "sqlstate", None)
        if isinstance(sqlstate, str):
            return sqlstate, None
    return None, None


def _message(exc: BaseException) -> str:
    """The driver's own message, first line only, cut before any quoted statement fragment."""
    driver = _driver_error(exc)
    args: tuple[Any, ...] = tuple(getattr(driver, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int):
        text = str(args[1])
    else:
        text = str(driver).splitlines()[0] if str(driver) else type(driver).__name__
    return _STATEMENT_FRAGMENT.split(text, maxsplit=1)[0].strip()


def mapping_keys_in(message: str, mapping: TableMapping) -> list[str]:
    """The mapping keys whose table or column names appear in a driver's error ``message``."""
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_$]*", message)}
    found: list[str] = []

    def check(prefix: str, table: str, columns: dict[str, Any]) -> None:
        for field, spec in columns.items():
            names = spec.column if isinstance(spec.column, list) else [spec.column]
            if any(name.lower() in words for name in names):
                found.append(f"{prefix}columns.{field}")
        if table.lower() in words and not found:
            found.append(f"{prefix}table")

    check("", mapping.table, mapping.columns)
    if mapping.key.column.lower() in words and not found:
        found.append("key.column")
    for name, child in mapping.children.items():
        check(f"children.{name}.", child.table, child.columns)
        for parent, column in child.join.items():
            if not found and {parent.lower(), column.lower()} & words:
                found.append(f"children.{name}.join")
    return found


def _schema_error(exc: BaseException, service: str, mapping: TableMapping | None) -> LegacyError:
    message = _message(exc)
    keys = mapping_keys_in(message, mapping) if mapping is not None else []
    where = ", ".join(keys) if keys else "a table or column"
    return ConfigurationError(
        f"database {service!r} does not match its mapping: {where} not found in the live schema",
        service=service,
        detail=f"{type(_driver_error(exc)).__name__}: {message}",
    )


def translate(exc: BaseException, service: str, mapping: TableMapping | None = None) -> LegacyError:
    """The typed error for ``exc`` raised while talking to database ``service``."""
    if isinstance(exc, LegacyError):
        return exc.with_service(service)
    driver = _driver_error(exc)
    detail = f"{type(driver).__name__}: {_message(exc)}"
    sqlstate, errno = _code(exc)
    lowered = _message(exc).lower()
    if isinstance(exc, sa_exc.TimeoutError):
        return UpstreamBusyError(
            f"database {service!r}: no free connection in the pool", service=service, detail=detail
        )
    if sqlstate in _PG_TIMEOUT or errno in _MY_TIMEOUT or "interrupted" in lowered:
        return UpstreamTimeoutError(
            f"database {service!r} did not answer within the statement timeout",
            service=service,
            detail=detail,
        )
    if (
        sqlstate in _PG_SCHEMA
        or errno in _MY_SCHEMA
        or any(text in lowered for text in _SQLITE_SCHEMA)
    ):
        return _schema_error(exc, service, mapping)
    if (sqlstate or "").startswith(_PG_AUTH_PREFIX) or errno in _MY_AUTH:
        return NotAuthorisedError(
            f"database {service!r} rejected the credentials", service=service, detail=detail
        )
    if sqlstate in _PG_BUSY or errno in _MY_BUSY or any(t in lowered for t in _SQLITE_BUSY):
        return UpstreamBusyError(f"database {service!r} is busy", service=service, detail=detail)
    if (
        isinstance(driver, (OSError, TimeoutError))
        or isinstance(exc, (OSError, TimeoutError))
        or sqlstate in _PG_UNAVAILABLE
        or (sqlstate or "").startswith("08")
        or errno in _MY_UNAVAILABLE
        or any(text in lowered for text in _SQLITE_UNAVAILABLE)
        or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)
        or isinstance(exc, sa_exc.InterfaceError)
        or type(driver).__name__ in _DISCONNECTED
    ):
        return UpstreamUnavailableError(
            f"database {service!r} is unavailable", service=service, detail=detail
        )
    return ProtocolError(
        f"database {service!r} failed the query ({type(driver).__name__})",
        service=service,
        detail=detail,
    )
