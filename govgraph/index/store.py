"""``CitizenIndex``: the gateway's own store mapping citizen ids to department keys.

Reads are on every request's hot path: each batched read is one indexed Core query, rows are
turned into small dataclasses without ORM objects. On SQLite, small batched reads (a request's
citizens) run on the calling thread through a read-only connection, the statement compiled
once (:mod:`govgraph.index.inline`): an indexed look-up costs less than the thread hops
aiosqlite makes for it (cursor, execute, fetch, reset), and in WAL mode a reader never waits
for the writer. Larger reads and every write go through aiosqlite.
Writes come from the linker in one transaction per run (:meth:`CitizenIndex.apply`), or from a
caseworker one link at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from govgraph.index.inline import InlineBusy, InlineError, InlineReader
from govgraph.index.reviews import (
    REVIEW_CONFIRMED,
    REVIEW_REJECTED,
    decide_review,
    link_key,
    review_from_row,
)
from govgraph.index.tables import citizens, links, metadata, reviews
from govgraph.index.types import (
    ACTIVE,
    WITHDRAWN,
    CitizenProfile,
    IndexChanges,
    Link,
    Review,
    new_citizen_id,
)
from govgraph.index.window import Window, keyset_window
from govgraph.index.writes import apply_changes, profile_values
from govgraph.storedb import as_utc, create_tables, lock_schema, on_sqlite_connect

__all__ = ["CitizenIndex", "CitizenIndexError"]

_POOL_SIZE = 32
_INLINE_READ_MAX = 200
"""Most values a batched read may have to run on the calling thread (SQLite only)."""

_IN_LIMIT = 10_000


class CitizenIndexError(RuntimeError):
    """The citizen index could not be read or written (the message names the operation)."""


def _profile(row: Row[Any]) -> CitizenProfile:
    return CitizenProfile(
        citizen_id=row.citizen_id,
        given_name=row.given_name,
        middle_names=row.middle_names,
        surname=row.surname,
        date_of_birth=row.date_of_birth,
        address_lines=tuple(row.address_lines.split("\n")) if row.address_lines else (),
        town=row.town,
        postcode=row.postcode,
        source=row.profile_source,
        created_at=as_utc(row.created_at),
    )


def _link(row: Row[Any]) -> Link:
    return Link(
        citizen_id=row.citizen_id,
        source=row.source,
        key=row.key,
        method=row.method,
        score=row.score,
        linked_at=as_utc(row.linked_at) or datetime.now(UTC),
        model_version=row.model_version,
        status=row.status,
    )


_LINK_COLUMNS = (
    links.c.citizen_id,
    links.c.source,
    links.c.key,
    links.c.method,
    links.c.score,
    links.c.linked_at,
    links.c.model_version,
    links.c.status,
)
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_KEYS_FOR = (
    select(links.c.citizen_id, links.c.key)
    .where(links.c.source == bindparam("source"), links.c.status == ACTIVE)
    .where(links.c.citizen_id.in_(_IDS))
    .order_by(links.c.citizen_id, links.c.key)
)
_PROFILES = select(citizens).where(citizens.c.citizen_id.in_(_IDS))
_LINKS_FOR = (
    select(*_LINK_COLUMNS)
    .where(links.c.citizen_id.in_(_IDS), links.c.status == ACTIVE)
    .order_by(links.c.citizen_id, links.c.source, links.c.key)
)
_HELD_WITH_LINKS = (
    select(
        citizens,
        links.c.source,
        links.c.key,
        links.c.method,
        links.c.score,
        links.c.linked_at,
        links.c.model_version,
    )
    .select_from(
        citizens.outerjoin(
            links, and_(links.c.citizen_id == citizens.c.citizen_id, links.c.status == ACTIVE)
        )
    )
    .where(citizens.c.citizen_id.in_(_IDS))
    .order_by(citizens.c.citizen_id, links.c.source, links.c.key)
)
_CITIZENS_FOR = select(links.c.key, links.c.citizen_id).where(
    links.c.source == bindparam("source"),
    links.c.status == ACTIVE,
    links.c.key.in_(bindparam("keys", expanding=True)),
)


def _inline_reader(engine: AsyncEngine) -> InlineReader | None:
    """A synchronous, read-only engine on the same SQLite file (``None`` for other databases
    and in-memory SQLite, where a second engine would not see the same data). It never waits
    for a lock (``timeout`` 0): a busy database sends the read to the pooled path instead of
    holding up the event loop."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if "mode=memory" in str(url):
        return None
    reader = create_engine(
        url.set(drivername="sqlite"),
        pool_size=2,
        max_overflow=8,
        connect_args={"timeout": 0},
    )
    on_sqlite_connect(reader, "query_only=ON", "cache_size=-16384")
    return InlineReader(reader)


class CitizenIndex:
    """The citizen index over a SQLAlchemy async URL.

    ``sqlite+aiosqlite:///path/index.db`` (the default kind) or
    ``postgresql+asyncpg://user@host/db``; ``schema`` puts the tables in that schema (created on
    :meth:`open` if missing; PostgreSQL only).
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self._engine: AsyncEngine | None = None
        self._inline: InlineReader | None = None

    async def open(self) -> None:
        """Connect and create the tables if they do not exist."""
        # Every request reads the index; a pool smaller than the request concurrency makes
        # overflow connections, which for aiosqlite means a new thread per checkout.
        engine = create_async_engine(self.url, pool_size=_POOL_SIZE, max_overflow=_POOL_SIZE)
        on_sqlite_connect(engine, "synchronous=NORMAL", "cache_size=-65536")
        if self.schema is not None:
            engine = engine.execution_options(schema_translate_map={None: self.schema})
        self._engine = engine
        try:
            async with engine.begin() as conn:
                await lock_schema(conn)
                if self.schema is not None:
                    await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                await create_tables(conn, metadata)
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            self._engine = None
            message = f"citizen index: could not open ({type(exc).__name__})"
            raise CitizenIndexError(message) from exc
        self._inline = _inline_reader(engine)

    async def aclose(self) -> None:
        """Close every connection. Safe to call more than once."""
        if self._inline is not None:
            self._inline.close()
            self._inline.engine.dispose()
            self._inline = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise CitizenIndexError("citizen index: not open (call open() first)")
        return self._engine

    async def _read_in(
        self, stmt: Any, params: dict[str, Any], name: str, values: list[str]
    ) -> list[Row[Any]]:
        """One query for a batch; batches over ``_IN_LIMIT`` values take one query per part
        (databases cap the number of bound parameters)."""
        inline = self._inline
        if inline is not None and len(values) <= _INLINE_READ_MAX:
            try:
                return inline.read(stmt, {**params, name: values})
            except InlineBusy:
                pass  # busy (never waited for on this thread) or unreadable: the pooled path
            except (InlineError, SQLAlchemyError, OSError) as exc:
                message = f"citizen index: read failed ({type(exc).__name__})"
                raise CitizenIndexError(message) from exc
        rows: list[Row[Any]] = []
        for i in range(0, len(values), _IN_LIMIT):
            rows += await self._read(stmt, {**params, name: values[i : i + _IN_LIMIT]})
        return rows

    async def _read(self, stmt: Any, params: dict[str, Any]) -> Sequence[Row[Any]]:
        try:
            async with self.engine.connect() as conn:
                return (await conn.execute(stmt, params)).all()
        except (SQLAlchemyError, OSError) as exc:
            raise CitizenIndexError(f"citizen index: read failed ({type(exc).__name__})") from exc

    async def keys_for(self, citizen_ids: Sequence[str], source: str) -> dict[str, list[str]]:
        """Each citizen's active keys in ``source`` (an empty list when none), one query."""
        result: dict[str, list[str]] = {cid: [] for cid in citizen_ids}
        if not result:
            return result
        for row in await self._read_in(_KEYS_FOR, {"source": source}, "ids", list(result)):
            result[row.citizen_id].append(row.key)
        return result

    async def profiles(self, citizen_ids: Sequence[str]) -> dict[str, CitizenProfile]:
        """The display identity of each known citizen (unknown ids are absent), one query."""
        if not citizen_ids:
            return {}
        rows = await self._read_in(_PROFILES, {}, "ids", list(set(citizen_ids)))
        return {row.citizen_id: _profile(row) for row in rows}

    async def links_for(self, citizen_ids: Sequence[str]) -> dict[str, list[Link]]:
        """Each citizen's active links (an empty list when none), one query."""
        result: dict[str, list[Link]] = {cid: [] for cid in citizen_ids}
        if not result:
            return result
        for row in await self._read_in(_LINKS_FOR, {}, "ids", list(result)):
            result[row.citizen_id].append(_link(row))
        return result

    async def held_with_links(
        self, citizen_ids: Sequence[str]
    ) -> dict[str, tuple[CitizenProfile, list[Link]]]:
        """The profile and active links of each citizen the index holds (unknown ids are
        absent), in one query: a request's first read of a citizen needs both."""
        if not citizen_ids:
            return {}
        found: dict[str, tuple[CitizenProfile, list[Link]]] = {}
        for row in await self._read_in(_HELD_WITH_LINKS, {}, "ids", list(set(citizen_ids))):
            held = found.get(row.citizen_id)
            if held is None:
                held = found[row.citizen_id] = (_profile(row), [])
            if row.source is not None:
                held[1].append(
                    Link(
                        citizen_id=row.citizen_id,
                        source=row.source,
                        key=row.key,
                        method=row.method,
                        score=row.score,
                        linked_at=as_utc(row.linked_at) or datetime.now(UTC),
                        model_version=row.model_version,
                    )
                )
        return found

    async def citizens_for(self, source: str, keys: Sequence[str]) -> dict[str, str]:
        """The citizen each ``source`` key is actively linked to (unlinked keys absent)."""
        if not keys:
            return {}
        rows = await self._read_in(_CITIZENS_FOR, {"source": source}, "keys", list(set(keys)))
        return {row.key: row.citizen_id for row in rows}

    async def page(self, first: int, after: str | None) -> tuple[list[str], bool]:
        """Up to ``first`` active citizen ids after ``after`` in id order, and if more follow."""
        if first < 0:
            raise ValueError(f"first: expected 0 or more, got {first}")
        stmt = select(citizens.c.citizen_id).where(citizens.c.status == ACTIVE)
        if after is not None:
            stmt = stmt.where(citizens.c.citizen_id > after)
        stmt = stmt.order_by(citizens.c.citizen_id).limit(first + 1)
        ids = [row.citizen_id for row in await self._read(stmt, {})]
        return ids[:first], len(ids) > first

    async def citizen_window(
        self,
        *,
        first: int | None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Window[str]:
        """A page of active citizen ids in id order between the ``after`` and ``before`` ids:
        the first ``first`` or the last ``last``, and whether more lie on either side."""
        stmt = select(citizens.c.citizen_id).where(citizens.c.status == ACTIVE)
        found = await keyset_window(
            self._read,
            stmt,
            citizens.c.citizen_id,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        ids = [row.citizen_id for row in found.rows]
        return Window(ids, has_previous=found.has_previous, has_next=found.has_next)

    async def all_links(self) -> list[Link]:
        """Every link, active or withdrawn (for the linker)."""
        return [_link(r) for r in await self._read(select(*_LINK_COLUMNS), {})]

    async def open_reviews(self, limit: int = 100, after_id: int = 0) -> list[Review]:
        """Open reviews in id order, for a caseworker's queue."""
        stmt = (
            select(reviews)
            .where(reviews.c.status == "open", reviews.c.id > after_id)
            .order_by(reviews.c.id)
            .limit(limit)
        )
        return [review_from_row(r) for r in await self._read(stmt, {})]

    async def review_window(
        self,
        *,
        first: int | None,
        after: int | None = None,
        last: int | None = None,
        before: int | None = None,
    ) -> Window[Review]:
        """A page of open reviews in id order between the ``after`` and ``before`` ids: the
        first ``first`` or the last ``last``, and whether more lie on either side."""
        stmt = select(reviews).where(reviews.c.status == "open")
        found = await keyset_window(
            self._read, stmt, reviews.c.id, first=first, after=after, last=last, before=before
        )
        rows = [review_from_row(r) for r in found.rows]
        return Window(rows, has_previous=found.has_previous, has_next=found.has_next)

    async def counts(self) -> dict[str, int]:
        """Active citizens, active and withdrawn links, and open reviews."""
        queries = {
            "citizens": select(func.count()).where(citizens.c.status == ACTIVE),
            "links_active": select(func.count()).where(links.c.status == ACTIVE),
            "links_withdrawn": select(func.count()).where(links.c.status == WITHDRAWN),
            "reviews_open": select(func.count()).where(reviews.c.status == "open"),
        }
        return {name: int((await self._read(q, {}))[0][0]) for name, q in queries.items()}

    async def apply(self, changes: IndexChanges) -> None:
        """Apply one linkage run's changes in a single transaction."""
        now = datetime.now(UTC)
        try:
            async with self.engine.begin() as conn:
                await apply_changes(conn, changes, now)
        except (SQLAlchemyError, OSError) as exc:
            raise CitizenIndexError(f"citizen index: write failed ({type(exc).__name__})") from exc

    async def link_by_caseworker(
        self, citizen_id: str | None, source: str, key: str, *, model_version: str = "caseworker"
    ) -> str:
        """Link ``source``/``key`` to ``citizen_id`` (a new citizen when ``None``); return the id.

        Any other active link of that key is withdrawn and its open reviews are closed.
        """
        now = datetime.now(UTC)
        cid = citizen_id or new_citizen_id()
        try:
            async with self.engine.begin() as conn:
                if citizen_id is None:
                    empty = CitizenProfile(cid, "", "", "", None, (), "", "", source)
                    await conn.execute(insert(citizens), [profile_values(empty, now)])
                await link_key(conn, cid, source, key, now, model_version)
        except (SQLAlchemyError, OSError) as exc:
            raise CitizenIndexError(f"citizen index: write failed ({type(exc).__name__})") from exc
        return cid

    async def review(self, review_id: int) -> Review | None:
        """One review by id, whatever its status (``None`` if there is no such review)."""
        rows = await self._read(select(reviews).where(reviews.c.id == review_id), {})
        return review_from_row(rows[0]) if rows else None

    async def confirm_review(
        self, review_id: int, citizen_id: str, *, model_version: str = "caseworker"
    ) -> bool:
        """Confirm an open review: link its key to ``citizen_id`` as :meth:`link_by_caseworker`
        does, in one transaction. ``False`` (and nothing changed) if the review is not open."""
        now = datetime.now(UTC)
        try:
            async with self.engine.begin() as conn:
                if not await decide_review(conn, review_id, REVIEW_CONFIRMED):
                    return False
                found = (await conn.execute(select(reviews).where(reviews.c.id == review_id))).one()
                await link_key(conn, citizen_id, found.source, found.key, now, model_version)
        except (SQLAlchemyError, OSError) as exc:
            raise CitizenIndexError(f"citizen index: write failed ({type(exc).__name__})") from exc
        return True

    async def reject_review(self, review_id: int) -> bool:
        """Close an open review as rejected (no link is made); ``False`` if it is not open."""
        try:
            async with self.engine.begin() as conn:
                return await decide_review(conn, review_id, REVIEW_REJECTED)
        except (SQLAlchemyError, OSError) as exc:
            raise CitizenIndexError(f"citizen index: write failed ({type(exc).__name__})") from exc
