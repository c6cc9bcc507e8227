"""The gateway's request id travels to a database server as a comment before each SQL
statement (SQLite, a file with no statement log, gets none)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from fixtures.sqldb.testing import Deployment
from legacy_connectors.base import CALL_CONTEXT, CallContext
from legacy_connectors.sql import SqlConnector

Open = Callable[[str, dict[str, Any]], SqlConnector]


@contextmanager
def request(request_id: str | None) -> Iterator[None]:
    """Run the block as the gateway does for a request with ``request_id``."""
    token = CALL_CONTEXT.set(CallContext(request_id=request_id))
    try:
        yield
    finally:
        CALL_CONTEXT.reset(token)


def capture(source: SqlConnector) -> list[str] | None:
    """The SQL text each driver connection of ``source`` runs from now on (SQLite's trace
    callback, asyncpg's query logger); ``None`` on engines without such a hook."""
    engine = source.databases[0].engine
    seen: list[str] = []
    backend = engine.dialect.name
    if backend not in ("sqlite", "postgresql"):
        return None

    def log(query: Any) -> None:
        seen.append(query if isinstance(query, str) else query.query)

    @event.listens_for(engine.sync_engine, "checkout")
    def _trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if backend == "sqlite":
            dbapi_connection.run_async(lambda conn: conn.set_trace_callback(log))
        else:
            dbapi_connection.driver_connection.add_query_logger(log)

    return seen


async def test_statements_carry_the_request_id(deployment: Deployment, connect: Open) -> None:
    """Inside a request each statement to a database server starts with its id; outside one
    nothing is added; SQLite's statements stay the same text (so they are prepared once)."""
    source = connect("passports", deployment.options("passports"))
    holders = [p.passport for p in deployment.population.people if p.passport is not None]
    keys = [h.passport_number for h in holders[:5]] + ["000000000"]
    plain = await source.load_many(keys)
    seen = capture(source)
    with request("req-7f3a9c01.b_2"):
        tagged = await source.load_many(keys)
    assert tagged == plain and tagged[0] is not None
    if seen is None:
        return
    selects = [s for s in seen if "PSPT" in s.upper()]
    assert selects, seen
    if source.databases[0].engine.dialect.name == "sqlite":
        assert all(s.startswith("SELECT") for s in selects), selects
    else:
        tag = "/* request_id=req-7f3a9c01.b_2 */ SELECT"
        assert all(s.startswith(tag) for s in selects), selects
    seen.clear()
    assert await source.load_many(keys) == plain
    assert seen and not any("request_id" in s for s in seen), seen


@pytest.mark.parametrize("request_id", ["x*/ DROP TABLE PSPT_MSTR; /*", "a b", "é" * 8, "x" * 65])
async def test_an_unsafe_request_id_is_left_out(
    deployment: Deployment, connect: Open, request_id: str
) -> None:
    """An id that is not letters, digits, ``.``, ``_`` or ``-`` (at most 64) adds no comment."""
    source = connect("passports", deployment.options("passports"))
    holder = next(p.passport for p in deployment.population.people if p.passport is not None)
    seen = capture(source)
    with request(request_id):
        [record] = await source.load_many([holder.passport_number])
    assert isinstance(record, dict) and record["passport_number"] == holder.passport_number
    if seen is None:
        return
    assert seen and not any("request_id" in s or "DROP" in s for s in seen), seen
