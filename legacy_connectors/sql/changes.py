"""The ``sql`` change feed: rows whose row version is above the cursor's, database by database.

Each database of the source is read on its own: the main table's rows with a version above
the database's position (``changes.column``), and the removals table's (``removals_table``),
merged in version order. A page ends at a version all of whose rows it holds (versions are
not cut in half), so the page's cursor never skips a row. The changed keys are then read again
from *every* database of the source, as ``scan`` gives them, so a key's records are whole
even when only one database changed it (and a key several databases changed is listed once
per read of the feed); a key no database holds any more is listed as removed.

The cursor is JSON text holding each database's position (its highest version seen); it is
opaque to callers. A cursor naming other databases than the source's, or a position above
the database's newest version (the database was restored from an older copy, or its versions
reset), raises :class:`~legacy_connectors.errors.ChangesExpiredError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, Select, Table, bindparam, func, select
from sqlalchemy.types import NullType

from legacy_connectors.base import ChangePage, Record
from legacy_connectors.cursors import cursor_text, read_cursor
from legacy_connectors.errors import ChangesExpiredError
from legacy_connectors.sql.settings import TableMapping
from legacy_connectors.sql.types import converter

if TYPE_CHECKING:
    from legacy_connectors.sql.database import Database

__all__ = ["FeedPlan", "SqlFeed"]

Entry = tuple[int, Any]
"""(row version, stored key) of one changed or removed row."""


def _plain(value: Any) -> Any:
    return value.rstrip() if isinstance(value, str) else value


class FeedPlan:
    """The statements of one database's feed (from its mapping's ``changes``)."""

    def __init__(self, mapping: TableMapping) -> None:
        spec = mapping.changes
        assert spec is not None
        metadata = MetaData()
        key_name = mapping.key.column
        main = Table(
            mapping.table,
            metadata,
            Column(key_name, NullType()),
            Column(spec.column, NullType()),
            schema=mapping.db_schema,
        )
        key, version = main.c[key_name], main.c[spec.column]
        self.rows_after: Select[Any] = (
            select(key, version).where(version > bindparam("since")).order_by(version)
        )
        self.rows_at: Select[Any] = select(key, version).where(version == bindparam("at"))
        self.tops: list[Select[Any]] = [select(func.max(version))]
        self.gone_after: Select[Any] | None = None
        self.gone_at: Select[Any] | None = None
        if spec.removals_table:
            gone_key_name = spec.removals_key_column or key_name
            gone_version_name = spec.removals_column or spec.column
            gone = Table(
                spec.removals_table,
                metadata,
                Column(gone_key_name, NullType()),
                Column(gone_version_name, NullType()),
                schema=mapping.db_schema,
            )
            gone_key, gone_version = gone.c[gone_key_name], gone.c[gone_version_name]
            self.gone_after = (
                select(gone_key, gone_version)
                .where(gone_version > bindparam("since"))
                .order_by(gone_version)
            )
            self.gone_at = select(gone_key, gone_version).where(gone_version == bindparam("at"))
            self.tops.append(select(func.max(gone_version)))
        self.scan_key = _scan_key(mapping)


def _scan_key(mapping: TableMapping) -> Callable[[Any], str] | None:
    """How a stored key becomes the key ``scan`` reports, when ``key_field`` reads the key
    column itself (``None``: the normalised stored key is that key)."""
    if mapping.key_field is None:
        return None
    spec = mapping.columns.get(mapping.key_field)
    if spec is None or spec.column != mapping.key.column:
        return None
    convert = converter(spec, mapping.key_field)

    def scan_key(raw: Any) -> str:
        value = convert(raw)
        return value if isinstance(value, str) else str(_plain(raw))

    return scan_key


class SqlFeed:
    """The change feed over a source's databases (each with a :class:`FeedPlan`)."""

    def __init__(
        self,
        service: str,
        names: Sequence[str],
        databases: Sequence[Database],
        key_fields: Sequence[str | None],
    ) -> None:
        self.service = service
        self.names = list(names)
        self.databases = list(databases)
        self.plans = [FeedPlan(db.mapping) for db in databases]
        self.key_fields = list(key_fields)

    # -- cursor -----------------------------------------------------------------------------

    def _text(self, positions: dict[str, int]) -> str:
        return cursor_text(at=positions)

    def _parse(self, text: str) -> dict[str, int]:
        positions = read_cursor(text, self.service, "SQL", _positions)
        if sorted(positions) != sorted(self.names):
            raise ChangesExpiredError(
                f"{self.service}: the change cursor names other databases than the source's; "
                "read the source whole",
                service=self.service,
                detail=f"cursor: {sorted(positions)}, source: {sorted(self.names)}"[:200],
            )
        return positions

    async def _top(self, index: int) -> int:
        db, plan = self.databases[index], self.plans[index]
        tops = [(await db.read(statement))[0][0] for statement in plan.tops]
        return max((int(t) for t in tops if t is not None), default=0)

    async def _tops(self) -> list[int]:
        return list(await asyncio.gather(*(self._top(i) for i in range(len(self.databases)))))

    async def cursor(self) -> str:
        """Each database's newest version now."""
        return self._text(dict(zip(self.names, await self._tops(), strict=True)))

    # -- pages ------------------------------------------------------------------------------

    async def pages(self, since: str, batch_size: int) -> AsyncIterator[ChangePage]:
        """The feed's pages after ``since`` (one page held back, so ``more`` is exact)."""
        positions = self._parse(since)
        tops = await self._tops()
        for name, top in zip(self.names, tops, strict=True):
            if positions[name] > top:
                raise ChangesExpiredError(
                    f"{self.service}: database {name!r} holds no change as recent as the "
                    "cursor (restored from an older copy, or its versions were reset); read "
                    "the source whole",
                    service=self.service,
                    detail=f"cursor at {positions[name]}, newest version {top}",
                )
        held: ChangePage | None = None
        delivered: set[str] = set()
        for index, name in enumerate(self.names):
            while positions[name] < tops[index]:
                entries = await self._next(index, positions[name], batch_size)
                if not entries:
                    break
                positions[name] = max(version for version, _raw in entries)
                keys = [
                    key
                    for key, version in self._keys(index, entries).items()
                    if key not in delivered or version > tops[index]
                ]
                if not keys:
                    continue
                delivered.update(keys)
                changed, removed = await self._current(keys)
                if held is not None:
                    yield held
                held = ChangePage(changed, removed, self._text(dict(positions)), True)
        if held is None:
            yield ChangePage([], [], self._text(positions), False)
        else:
            held.more = False
            yield held

    async def _next(self, index: int, since: int, size: int) -> list[Entry]:
        """The next rows after version ``since`` (about ``size``, never part of a version)."""
        db, plan = self.databases[index], self.plans[index]
        rows = [
            (int(v), raw) for raw, v in await db.read(plan.rows_after.limit(size), {"since": since})
        ]
        gone: list[Entry] = []
        if plan.gone_after is not None:
            found = await db.read(plan.gone_after.limit(size), {"since": since})
            gone = [(int(v), raw) for raw, v in found]
        full = [stream[-1][0] for stream in (rows, gone) if len(stream) == size]
        bound = min(full) if full else None
        entries = sorted(rows + gone, key=lambda entry: entry[0])
        if bound is None and len(entries) <= size:
            return entries
        end = entries[min(size, len(entries)) - 1][0]
        if bound is not None and end >= bound:
            below = [e for e in entries if e[0] < bound]
            if below:
                return below
            at = [(int(v), raw) for raw, v in await db.read(plan.rows_at, {"at": bound})]
            if plan.gone_at is not None:
                at += [(int(v), raw) for raw, v in await db.read(plan.gone_at, {"at": bound})]
            return at
        return [e for e in entries if e[0] <= end]

    def _keys(self, index: int, entries: Sequence[Entry]) -> dict[str, int]:
        """Each entry's key as ``scan`` reports it, with its highest version, in order."""
        db, plan = self.databases[index], self.plans[index]
        keys: dict[str, int] = {}
        for version, raw in entries:
            key = (
                plan.scan_key(raw) if plan.scan_key is not None else db.normalise(str(_plain(raw)))
            )
            keys[key] = max(version, keys.get(key, version))
        return keys

    async def _current(self, keys: Sequence[str]) -> tuple[list[tuple[str, Record]], list[str]]:
        """The keys' records now, from every database (as ``scan`` gives them), and the keys
        no database holds any more (a key whose rows do not decode is neither: ``scan``
        leaves it out too)."""
        fetched = await asyncio.gather(
            *(db.fetch([db.normalise(k) for k in keys], scan=True) for db in self.databases)
        )
        changed: list[tuple[str, Record]] = []
        removed: list[str] = []
        for key in keys:
            found = False
            for db, (by_key, bad), field in zip(
                self.databases, fetched, self.key_fields, strict=True
            ):
                normal = db.normalise(key)
                if normal in bad:
                    found = True
                    continue
                for record in by_key.get(normal, ()):
                    found = True
                    changed.append((str(record[field]) if field else key, record))
            if not found:
                removed.append(key)
        return changed, removed


def _positions(body: dict[str, Any]) -> dict[str, int]:
    positions = body.get("at")
    if not isinstance(positions, dict) or not all(type(v) is int for v in positions.values()):
        raise ValueError("no database positions")
    return positions
