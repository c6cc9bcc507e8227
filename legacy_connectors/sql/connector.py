"""The ``sql`` connector kind: records by key from one database or a set queried in parallel.

With a set of databases (``databases``), every database is asked for every batch at the same
time; a key's records are merged in the order the databases are configured, each naming its
database in ``source_field``. When some databases fail, the key's result is a
:class:`~legacy_connectors.base.PartialRecords` holding what the others answered and one typed
error per failed database (its ``service`` is ``<source>/<database>``).

Databases named in the call context's ``skip_members``
(:attr:`~legacy_connectors.base.CallContext.skip_members`) are not called: each gets a
:class:`~legacy_connectors.errors.CircuitOpenError` in its place, shared by the batch's keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

from legacy_connectors.aggregation import Aggregate, GroupBy, Where
from legacy_connectors.base import (
    ChangePage,
    Connector,
    Health,
    PartialRecords,
    Record,
    Result,
    current_call,
)
from legacy_connectors.errors import CircuitOpenError, LegacyError
from legacy_connectors.limits import FieldLimit
from legacy_connectors.sql.changes import SqlFeed
from legacy_connectors.sql.database import Database, Fetched
from legacy_connectors.sql.engines import EngineOptions
from legacy_connectors.sql.limits import command_limits
from legacy_connectors.sql.settings import SqlSettings
from legacy_connectors.sql.translate import translate
from legacy_connectors.sql.writes import SqlWriter

__all__ = ["SqlConnector"]


class SqlConnector(Connector):
    """Reads legacy SQL tables through explicit mappings (SQLite, PostgreSQL, MariaDB/MySQL)."""

    kind: ClassVar[str] = "sql"
    Settings: ClassVar[type[SqlSettings]] = SqlSettings
    settings: SqlSettings

    def __init__(self, name: str, settings: SqlSettings) -> None:
        super().__init__(name, settings)
        options = EngineOptions(
            pool_size=settings.pool_size,
            pool_timeout_s=settings.pool_timeout_s,
            connect_timeout_s=settings.connect_timeout_s,
            statement_timeout_ms=settings.statement_timeout_ms,
            read_only=settings.read_only,
            scan_statement_timeout_ms=settings.scan_statement_timeout_ms,
        )
        single = settings.url is not None
        self.databases = [
            Database(
                service=name if single else f"{name}/{db_name}",
                url=url,
                mapping=mapping,
                options=options,
                chunk_size=settings.chunk_size,
                label=label,
                source_field=settings.source_field,
            )
            for db_name, url, label, mapping in settings.targets()
        ]
        self.database_names = [db_name for db_name, _url, _label, _mapping in settings.targets()]
        """Each database's configured name, in the order of :attr:`databases`."""
        self._single = single
        self._writer: SqlWriter | None = None
        self._feed: SqlFeed | None = None

    @property
    def queries(self) -> dict[str, int]:
        """Statements issued so far, by database service name."""
        return {db.service: db.queries for db in self.databases}

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One result per key: a record (or ``None``), or a list of records for ``many`` sources."""
        normalised = [[db.normalise(key) for key in keys] for db in self.databases]
        if self._single:
            return self._single_results(normalised[0], await self.databases[0].fetch(normalised[0]))
        skip = current_call().skip_members
        called = [i for i, name in enumerate(self.database_names) if name not in skip]
        outcomes = dict(
            zip(
                called,
                await asyncio.gather(
                    *(self.databases[i].fetch(normalised[i]) for i in called),
                    return_exceptions=True,
                ),
                strict=True,
            )
        )
        fetched: list[Fetched | LegacyError] = []
        for index, db in enumerate(self.databases):
            if index not in outcomes:
                fetched.append(_skipped(db.service))
                continue
            outcome = outcomes[index]
            if isinstance(outcome, LegacyError):
                fetched.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                fetched.append(outcome)
        return self._merged_results(len(keys), normalised, fetched)

    def _single_results(self, keys: Sequence[str], fetched: Fetched) -> list[Result]:
        by_key, bad = fetched
        results: list[Result] = []
        for key in keys:
            error = bad.get(key) if bad else None
            records = by_key.get(key)
            if error is not None:
                results.append(error)
            elif self.settings.many:
                results.append(list(records) if records else [])
            else:
                results.append(records[0] if records else None)
        return results

    def _merged_results(
        self,
        count: int,
        normalised: Sequence[Sequence[str]],
        fetched: Sequence[Fetched | LegacyError],
    ) -> list[Result]:
        failed = [f for f in fetched if isinstance(f, LegacyError)]
        results: list[Result] = []
        for index in range(count):
            records: list[Record] = []
            errors: list[LegacyError] = list(failed)
            for keys, outcome in zip(normalised, fetched, strict=True):
                if isinstance(outcome, LegacyError):
                    continue
                by_key, bad = outcome
                key = keys[index]
                records.extend(by_key.get(key, ()))
                if key in bad:
                    errors.append(bad[key])
            if errors:
                results.append(PartialRecords(records=records, errors=errors))
            elif self.settings.many:
                results.append(records)
            else:
                results.append(records[0] if records else None)
        return results

    async def health(self) -> Health:
        """``up`` when every database answers a cheap query, ``degraded`` when some do."""
        outcomes = await asyncio.gather(
            *(db.ping() for db in self.databases), return_exceptions=True
        )
        facts: dict[str, object] = {}
        down: list[str] = []
        latencies: list[float] = []
        for db, outcome in zip(self.databases, outcomes, strict=True):
            if isinstance(outcome, LegacyError):
                down.append(db.service)
                facts[db.service] = outcome.code
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                latencies.append(outcome)
                facts[db.service] = "up"
        latency = max(latencies) if latencies else None
        if not down:
            return Health(status="up", latency_ms=latency, facts=facts)
        status: Literal["down", "degraded"] = (
            "down" if len(down) == len(self.databases) else "degraded"
        )
        return Health(
            status=status, detail=f"unavailable: {', '.join(down)}", latency_ms=latency, facts=facts
        )

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every (key, record), database by database; ``many`` sources give one pair per record."""
        for db in self.databases:
            async for keys in db.keys(batch_size):
                by_key, _bad = await db.fetch(keys, scan=True)
                field = db.mapping.key_field
                batch = [
                    (str(record[field]) if field else key, record)
                    for key in keys
                    for record in by_key.get(key, [])
                ]
                if batch:
                    yield batch

    @property
    def tracks_changes(self) -> bool:
        """When every database's mapping names its row-version column (``changes``)."""
        return all(db.mapping.changes is not None for db in self.databases)

    def _changes(self) -> SqlFeed:
        if not self.tracks_changes:
            raise NotImplementedError(
                f"source {self.name!r} has no change feed: set 'changes' in its mappings"
            )
        if self._feed is None:
            self._feed = SqlFeed(
                self.name,
                self.database_names,
                self.databases,
                [db.mapping.key_field for db in self.databases],
            )
        return self._feed

    async def change_cursor(self) -> str:
        """Each database's newest row version (see ``sql.changes``)."""
        return await self._changes().cursor()

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """Rows whose version is above the cursor's, with their keys' records from every
        database, and removed keys (see ``sql.changes``)."""
        async for page in self._changes().pages(since, batch_size):
            yield page

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        """Run the configured write ``command`` once per ``delivery_id`` (see ``sql.writes``)."""
        spec = self.settings.commands.get(command)
        if spec is None:
            raise NotImplementedError(f"source {self.name!r} has no command {command!r}")
        if self._writer is None:
            self._writer = SqlWriter(self.name, self.settings)
        return await self._writer.submit(command, spec, payload, delivery_id)

    async def aggregate(
        self,
        *,
        group_by: Sequence[GroupBy] = (),
        where: Sequence[Where] = (),
        sums: Sequence[str] = (),
        collection: str | None = None,
    ) -> list[Aggregate]:
        """``GROUP BY`` in every database, groups merged (see ``sql.aggregate``)."""
        from legacy_connectors.sql.aggregate import aggregate

        return await aggregate(
            self, group_by=group_by, where=where, sums=sums, collection=collection
        )

    async def distinct_keys(
        self,
        *,
        where: Sequence[Where] = (),
        collection: str | None = None,
        group_by: GroupBy | None = None,
    ) -> dict[str, Any]:
        """``SELECT DISTINCT`` keys in every database, merged (see ``sql.aggregate``)."""
        from legacy_connectors.sql.aggregate import distinct_keys

        return await distinct_keys(self, where=where, collection=collection, group_by=group_by)

    async def layout_problems(self) -> list[str]:
        """Where the live databases no longer match the mapping (as ``govgraph sql check``)."""
        from legacy_connectors.sql.drift import check

        drifts = await check(self.name, self.settings.model_dump())
        return [f"{drift.mapping_key}: {drift.problem}" for drift in drifts]

    @property
    def member_count(self) -> int:
        """One statement per database of the set (or one for a single database)."""
        return len(self.databases)

    @property
    def member_field(self) -> str | None:
        """``source_field``: the record field naming the database of a set."""
        return self.settings.source_field

    async def write_limits(self, command: str) -> list[FieldLimit]:
        """What ``command`` can store: its text columns' declared lengths (reflected)."""
        spec = self.settings.commands.get(command)
        if spec is None:
            return []
        if self._writer is None:
            self._writer = SqlWriter(self.name, self.settings)
        try:
            return await command_limits(self._writer, command, spec)
        except LegacyError:
            raise
        except Exception as exc:
            raise translate(exc, self.name) from exc

    async def aclose(self) -> None:
        """Close every database's pool (and the write pools)."""
        for db in self.databases:
            await db.aclose()
        if self._writer is not None:
            await self._writer.aclose()


def _skipped(service: str) -> CircuitOpenError:
    return CircuitOpenError(
        "the service is temporarily suspended after repeated failures",
        service=service,
        detail="not called: the caller's circuit breaker for this database is open",
    )
