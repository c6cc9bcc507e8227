"""An in-memory connector kind: the smallest correct connector, for tests and examples."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from legacy_connectors.base import Connector, ConnectorSettings, Health, Record, Result
from legacy_connectors.errors import CorruptRecordError, UpstreamUnavailableError

__all__ = ["MemoryConnector", "MemorySettings"]


class MemorySettings(ConnectorSettings):
    """Records held in the configuration itself."""

    records: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Key to record."""
    corrupt_keys: list[str] = Field(default_factory=list)
    """Keys whose record is reported as corrupt (a per-key error)."""
    available: bool = True
    """Whether the simulated upstream can be reached."""
    commands: list[str] = Field(default_factory=list)
    """Write commands ``submit`` accepts (each delivery is recorded once)."""


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
                results.append(None if record is None else dict(record))
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
            (key, dict(record))
            for key, record in sorted(self.settings.records.items())
            if key not in self.settings.corrupt_keys
        ]
        for start in range(0, len(pairs), batch_size):
            yield pairs[start : start + batch_size]
