"""An in-memory connector kind: the smallest correct connector, for tests and examples.

With ``change_feed`` on it also keeps a numbered change log: :meth:`MemoryConnector.put` and
:meth:`MemoryConnector.remove` change its records and append the key to the log, and
``changes(since)`` gives every key changed after a cursor with its records as they are now.
The cursor is ``<log id>:<position>``; a cursor of another log (another connector object,
e.g. after a restart) or older than the entries kept (``change_log_limit``) is
:class:`~legacy_connectors.errors.ChangesExpiredError`."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from legacy_connectors.base import (
    ChangePage,
    Connector,
    ConnectorSettings,
    Health,
    Record,
    Result,
)
from legacy_connectors.errors import (
    ChangesExpiredError,
    CorruptRecordError,
    UpstreamUnavailableError,
)

__all__ = ["MemoryConnector", "MemorySettings"]


class MemorySettings(ConnectorSettings):
    """Records held in the configuration itself."""

    records: dict[str, dict[str, Any] | list[dict[str, Any]]] = Field(default_factory=dict)
    """Key to record (or to a list of records, for a source holding several per key: ``scan``
    gives each, ``load_many`` the list)."""
    corrupt_keys: list[str] = Field(default_factory=list)
    """Keys whose record is reported as corrupt (a per-key error)."""
    available: bool = True
    """Whether the simulated upstream can be reached."""
    commands: list[str] = Field(default_factory=list)
    """Write commands ``submit`` accepts (each delivery is recorded once)."""
    change_feed: bool = False
    """Whether the kind offers its change feed (``tracks_changes``)."""
    change_log_limit: int | None = None
    """Most change-log entries kept (older ones are trimmed; a cursor before them expires);
    ``None`` keeps them all."""


class MemoryConnector(Connector):
    """Serves records from its settings; ``corrupt_keys`` fail alone, ``available`` may be off."""

    kind: ClassVar[str] = "memory"
    Settings: ClassVar[type[MemorySettings]] = MemorySettings
    settings: MemorySettings

    def __init__(self, name: str, settings: MemorySettings) -> None:
        super().__init__(name, settings)
        self.calls = 0
        """``load_many`` calls answered so far."""
        self.deliveries: dict[str, tuple[str, dict[str, Any]]] = {}
        """Writes accepted so far, by delivery id."""
        self._log_id = secrets.token_hex(4)
        self._log: list[str] = []
        """Keys changed, in order; position ``self._trimmed + i`` is entry ``i``."""
        self._trimmed = 0

    def _check_available(self) -> None:
        if not self.settings.available:
            raise UpstreamUnavailableError(f"{self.name}: the upstream is not available")

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One record (or ``None``, or a corrupt-record error) per key."""
        self._check_available()
        self.calls += 1
        await asyncio.sleep(0)
        results: list[Result] = []
        for key in keys:
            if key in self.settings.corrupt_keys:
                results.append(CorruptRecordError(f"{self.name}: the record could not be decoded"))
            else:
                record = self.settings.records.get(key)
                if record is None:
                    results.append(None)
                elif isinstance(record, list):
                    results.append([dict(r) for r in record])
                else:
                    results.append(dict(record))
        return results

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        """Record the write once per ``delivery_id``; ``DUPLICATE`` when the id was seen."""
        self._check_available()
        if command not in self.settings.commands:
            raise NotImplementedError(f"source {self.name!r} has no command {command!r}")
        if delivery_id in self.deliveries:
            return {"outcome": "DUPLICATE", "delivery_id": delivery_id}
        self.deliveries[delivery_id] = (command, dict(payload))
        return {"outcome": "ACCEPTED", "delivery_id": delivery_id}

    async def health(self) -> Health:
        """Up, or down when ``available`` is off."""
        if not self.settings.available:
            return Health(status="down", detail="the upstream is not available")
        return Health(status="up", facts={"records": len(self.settings.records)})

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every (key, record) in key order, skipping corrupt keys."""
        self._check_available()
        pairs = [
            pair
            for key in sorted(self.settings.records)
            if key not in self.settings.corrupt_keys
            for pair in self._pairs(key)
        ]
        for start in range(0, len(pairs), batch_size):
            yield pairs[start : start + batch_size]

    def _pairs(self, key: str) -> list[tuple[str, Record]]:
        record = self.settings.records.get(key)
        if record is None:
            return []
        if isinstance(record, list):
            return [(key, dict(r)) for r in record]
        return [(key, dict(record))]

    def put(self, key: str, record: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Add or replace the record(s) of ``key``, and log the change."""
        self.settings.records[key] = record
        self._logged(key)

    def remove(self, key: str) -> None:
        """Remove ``key``'s record(s) (if any), and log the change."""
        if self.settings.records.pop(key, None) is not None:
            self._logged(key)

    def _logged(self, key: str) -> None:
        self._log.append(key)
        limit = self.settings.change_log_limit
        if limit is not None and len(self._log) > limit:
            drop = len(self._log) - limit
            del self._log[:drop]
            self._trimmed += drop

    @property
    def tracks_changes(self) -> bool:
        """Whether ``change_feed`` is on."""
        return self.settings.change_feed

    async def change_cursor(self) -> str:
        """The log's position now."""
        self._check_available()
        if not self.settings.change_feed:
            raise NotImplementedError(f"source {self.name!r} has no change feed")
        return f"{self._log_id}:{self._trimmed + len(self._log)}"

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """Keys changed after ``since``, each once with its records as they are now (every
        record of a key in one page, in ``scan``'s order), ``batch_size`` keys a page in the
        order of their last change; a page's cursor is the position after that change."""
        self._check_available()
        if not self.settings.change_feed:
            raise NotImplementedError(f"source {self.name!r} has no change feed")
        log_id, _, position = since.partition(":")
        if log_id != self._log_id or not position.isdigit() or int(position) < self._trimmed:
            raise ChangesExpiredError(
                f"{self.name}: the change log no longer reaches back to cursor {since!r}"
            )
        start = int(position)
        last: dict[str, int] = {}
        for offset, key in enumerate(self._log[start - self._trimmed :]):
            last.pop(key, None)
            last[key] = start + offset
        keys = list(last)
        if not keys:
            yield ChangePage([], [], f"{self._log_id}:{self._trimmed + len(self._log)}", False)
            return
        for first in range(0, len(keys), batch_size):
            chunk = keys[first : first + batch_size]
            changed = [pair for key in chunk for pair in self._pairs(key)]
            removed = [key for key in chunk if key not in self.settings.records]
            more = first + batch_size < len(keys)
            yield ChangePage(changed, removed, f"{self._log_id}:{last[chunk[-1]] + 1}", more)
