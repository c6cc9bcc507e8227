"""``AccessLedger``: the append-only, hash-chained record of every read of a citizen's data.

Appends are group-committed: requests that finish while a write is in progress are written
together in the next transaction, so the ledger costs one transaction per burst of requests
rather than one per request. The chain's head row is updated in the same transaction only if
it still holds the head this writer read, so several gateway processes may share one store;
on PostgreSQL each append transaction first locks the head row (``SELECT ... FOR UPDATE``), so
the replicas' appends queue on it rather than conflict and retry.

On a SQLite file the entries are hashed on the event loop and the transaction (conditional
head update, inserts, commit) runs whole on the ledger's own writer thread through the
``sqlite3`` module, which lets go of the interpreter while SQLite works: one thread round trip
per transaction instead of one per statement through the async driver. Either way the
transaction has committed when :meth:`AccessLedger.append` returns.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from govgraph.ledger.chain import (
    CURRENT_FORM,
    GENESIS,
    AccessEntry,
    LedgerRecord,
    canonical_list,
    entry_hash,
    stored_list,
)
from govgraph.ledger.tables import entries, head, metadata
from govgraph.storedb import create_tables, on_sqlite_connect

__all__ = ["AccessLedger", "LedgerError", "VerifyReport"]

_RETRIES = 8
_BUSY_TIMEOUT_S = 10.0
_VERIFY_BATCH = 5000


class LedgerError(RuntimeError):
    """The ledger could not be read or written (the message names the operation)."""


class _Conflict(Exception):
    """Another writer moved the chain's head since this transaction read it."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of checking the whole chain."""

    ok: bool
    checked: int
    """Entries checked before the first problem (all of them when ``ok``)."""
    problem: str | None = None
    seq: int | None = None
    """The first entry found wrong, missing or out of place."""


def _record(row: Any) -> LedgerRecord:
    form = int(row.form)
    entry = AccessEntry(
        request_id=row.request_id,
        actor=row.actor,
        role=row.role,
        purpose=row.purpose,
        citizen_id=row.citizen_id,
        sources=stored_list(row.sources, form) or (),
        field_groups=stored_list(row.field_groups, form) or (),
        at=row.at,
    )
    return LedgerRecord(seq=row.seq, entry=entry, prev_hash=row.prev_hash, hash=row.hash, form=form)


def _add_form_column(conn: Connection) -> None:
    """Give a ledger created before canonical forms its ``form`` column (form 1 rows)."""
    columns = {c["name"] for c in inspect(conn).get_columns(entries.name)}
    if "form" not in columns:
        conn.execute(text(f"ALTER TABLE {entries.name} ADD COLUMN form INTEGER NOT NULL DEFAULT 1"))


def _chained(
    batch: Sequence[AccessEntry], seq: int, prev: str
) -> tuple[list[dict[str, Any]], int, str]:
    """The rows of ``batch`` chained on after entry ``seq`` (hash ``prev``), and the new head."""
    rows = []
    for entry in batch:
        seq += 1
        digest = entry_hash(seq, entry, prev)
        rows.append(
            {
                "seq": seq,
                "at": entry.at,
                "request_id": entry.request_id,
                "actor": entry.actor,
                "role": entry.role,
                "purpose": entry.purpose,
                "citizen_id": entry.citizen_id,
                "sources": canonical_list(entry.sources),
                "field_groups": canonical_list(entry.field_groups),
                "prev_hash": prev,
                "hash": digest,
                "form": CURRENT_FORM,
            }
        )
        prev = digest
    return rows, seq, prev


_COLUMNS = [c.name for c in entries.columns]
_INSERT = (
    f"INSERT INTO {entries.name} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)})"
)
_MOVE_HEAD = f"UPDATE {head.name} SET seq = ?, hash = ? WHERE id = 1 AND seq = ?"
_READ_HEAD = f"SELECT seq, hash FROM {head.name} WHERE id = 1"


class _SqliteWriter:
    """The ledger's one writing connection to a SQLite file, used only on its own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def of(cls, engine: AsyncEngine) -> _SqliteWriter | None:
        """A writer for ``engine``'s SQLite file; ``None`` for other databases, in-memory SQLite
        and URLs with options, which keep the async path."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.query:
            return None
        if url.database in (None, "", ":memory:") or url.database.startswith("file:"):
            return None
        return cls(url.database)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            self._conn = conn
        return self._conn

    def read_head(self) -> tuple[int, str]:
        row = self._connection().execute(_READ_HEAD).fetchone()
        if row is None:
            raise sqlite3.OperationalError("the ledger's head row is missing")
        return int(row[0]), str(row[1])

    def append(self, first_seq: int, seq: int, digest: str, rows: list[dict[str, Any]]) -> None:
        """Move the head from ``first_seq`` to ``seq``/``digest`` and insert ``rows``, in one
        committed transaction; :class:`_Conflict` if another writer moved the head first."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            if conn.execute(_MOVE_HEAD, (seq, digest, first_seq)).rowcount != 1:
                raise _Conflict
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class AccessLedger:
    """The access ledger in a SQLAlchemy async store (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._writer: _SqliteWriter | None = None
        self._lock = asyncio.Lock()
        self._pending: list[tuple[list[AccessEntry], asyncio.Future[None]]] = []
        self._head: tuple[int, str] | None = None
        """The chain's head as this writer last committed it (re-read after a conflict)."""
        self.transactions = 0
        """Append transactions committed (for measuring the group commit)."""

    async def open(self) -> None:
        """Connect and create the tables if they do not exist."""
        engine = create_async_engine(self.url)
        on_sqlite_connect(engine, f"busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        try:
            async with engine.begin() as conn:
                await create_tables(conn, metadata)
                await conn.run_sync(_add_form_column)
                if (await conn.execute(select(head.c.id))).first() is None:
                    await conn.execute(insert(head).values(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise LedgerError(f"access ledger: could not open ({type(exc).__name__})") from exc
        self._engine = engine
        self._writer = _SqliteWriter.of(engine)

    async def aclose(self) -> None:
        """Close every connection. Safe to call more than once."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise LedgerError("access ledger: not open (call open() first)")
        return self._engine

    async def append(self, new: Sequence[AccessEntry]) -> None:
        """Durably append ``new`` (returns once committed; raises :class:`LedgerError`)."""
        if not new:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(([e.stamped() for e in new], done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    await self._write([e for group, _ in batch for e in group])
                except BaseException as exc:
                    failure = (
                        exc
                        if isinstance(exc, LedgerError)
                        else LedgerError("access ledger: append interrupted")
                    )
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(failure)
                    if not isinstance(exc, Exception):
                        done.exception()
                        raise
                else:
                    for _, fut in batch:
                        fut.set_result(None)
        await done

    async def _write(self, batch: list[AccessEntry]) -> None:
        last: Exception | None = None
        for attempt in range(_RETRIES):
            try:
                if self._writer is not None:
                    await self._append_on_thread(self._writer, batch)
                else:
                    async with self.engine.begin() as conn:
                        await self._append(conn, batch)
                self.transactions += 1
                return
            except (
                _Conflict,
                IntegrityError,
                OperationalError,
                sqlite3.IntegrityError,
                sqlite3.OperationalError,
            ) as exc:
                self._head = None
                last = exc
            except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
                self._head = None
                raise LedgerError(f"access ledger: append failed ({type(exc).__name__})") from exc
            await asyncio.sleep(0.005 * (attempt + 1))
        raise LedgerError(
            f"access ledger: append failed ({type(last).__name__}) after {_RETRIES} attempts"
        ) from last

    async def _append_on_thread(self, writer: _SqliteWriter, batch: list[AccessEntry]) -> None:
        loop = asyncio.get_running_loop()
        if self._head is None:
            self._head = await loop.run_in_executor(writer.thread, writer.read_head)
        first_seq, prev = self._head
        rows, seq, digest = _chained(batch, first_seq, prev)
        await loop.run_in_executor(writer.thread, writer.append, first_seq, seq, digest, rows)
        self._head = (seq, digest)

    async def _append(self, conn: AsyncConnection, batch: list[AccessEntry]) -> None:
        shared = conn.dialect.name == "postgresql"
        if self._head is None or shared:
            # On PostgreSQL other gateway processes append too: lock the head row for this
            # transaction, so appends from every replica queue on it instead of failing
            # their conditional update and retrying (SQLite's write lock already serialises).
            query = select(head.c.seq, head.c.hash).where(head.c.id == 1)
            if shared:
                query = query.with_for_update()
            row = (await conn.execute(query)).one()
            self._head = (int(row.seq), str(row.hash))
        first_seq, prev = self._head
        rows, seq, prev = _chained(batch, first_seq, prev)
        moved = await conn.execute(
            update(head).where(head.c.id == 1, head.c.seq == first_seq).values(seq=seq, hash=prev)
        )
        if moved.rowcount != 1:
            self._head = None
            raise _Conflict
        await conn.execute(insert(entries), rows)
        self._head = (seq, prev)

    async def for_citizen(
        self, citizen_id: str, *, limit: int = 50, exclude_roles: Sequence[str] = ()
    ) -> list[LedgerRecord]:
        """The most recent reads of ``citizen_id``'s data, newest first."""
        query = select(entries).where(entries.c.citizen_id == citizen_id)
        if exclude_roles:
            query = query.where(entries.c.role.not_in(list(exclude_roles)))
        query = query.order_by(entries.c.seq.desc()).limit(limit)
        try:
            async with self.engine.connect() as conn:
                return [_record(r) for r in (await conn.execute(query)).all()]
        except (SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"access ledger: read failed ({type(exc).__name__})") from exc

    async def head(self) -> tuple[int, str]:
        """The last entry's ``(seq, hash)``: publish it elsewhere to anchor the chain."""
        try:
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(head.c.seq, head.c.hash))).one()
        except (SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"access ledger: read failed ({type(exc).__name__})") from exc
        return int(row.seq), str(row.hash)

    async def verify(
        self,
        *,
        anchor: tuple[int, str] | None = None,
        advance: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Check every entry's hash, its link to the previous one, and the head row; with an
        ``anchor`` (a head published earlier), also that the chain still passes through it,
        which shows a chain rewritten from that point on. ``advance`` is told of each batch of
        entries read (for a progress display)."""
        expected_seq, prev, checked = 1, GENESIS, 0
        anchored = anchor is None or anchor[0] == 0
        try:
            async with self.engine.connect() as conn:
                last_seq = 0
                while True:
                    query = (
                        select(entries)
                        .where(entries.c.seq > last_seq)
                        .order_by(entries.c.seq)
                        .limit(_VERIFY_BATCH)
                    )
                    rows = (await conn.execute(query)).all()
                    for row in rows:
                        problem = _check(row, expected_seq, prev)
                        if problem is not None:
                            return VerifyReport(False, checked, problem, min(row.seq, expected_seq))
                        checked += 1
                        if anchor is not None and row.seq == anchor[0]:
                            if row.hash != anchor[1]:
                                return VerifyReport(
                                    False,
                                    checked - 1,
                                    f"entry {row.seq} no longer has the hash published for it: "
                                    f"the chain was rewritten from there on",
                                    row.seq,
                                )
                            anchored = True
                        expected_seq, prev, last_seq = row.seq + 1, row.hash, row.seq
                    if advance is not None:
                        advance(len(rows))
                    if len(rows) < _VERIFY_BATCH:
                        break
                top = (await conn.execute(select(head.c.seq, head.c.hash))).one_or_none()
        except (SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"access ledger: read failed ({type(exc).__name__})") from exc
        if top is None:
            return VerifyReport(False, checked, "the ledger's head row is missing")
        if int(top.seq) != expected_seq - 1 or top.hash != prev:
            return VerifyReport(
                False,
                checked,
                f"the ledger ends at entry {expected_seq - 1} but its head records entry "
                f"{top.seq}: entries after {expected_seq - 1} were removed",
                expected_seq,
            )
        if not anchored:
            assert anchor is not None
            return VerifyReport(
                False,
                checked,
                f"entry {anchor[0]}, published as a head, is no longer in the ledger",
                anchor[0],
            )
        return VerifyReport(True, checked)


def _check(row: Any, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"entry {expected_seq} is missing (the next stored entry is {row.seq})"
    if row.prev_hash != prev:
        return f"entry {row.seq} does not follow entry {row.seq - 1} (chain broken)"
    if row.form not in (1, CURRENT_FORM):
        return f"entry {row.seq} was modified (unknown canonical form {row.form!r})"
    for column in ("sources", "field_groups"):
        if stored_list(getattr(row, column), int(row.form)) is None:
            return f"entry {row.seq} was modified (its {column} are not stored in canonical form)"
    record = _record(row)
    if entry_hash(record.seq, record.entry, record.prev_hash, record.form) != record.hash:
        return f"entry {record.seq} was modified (its contents do not match its hash)"
    return None
