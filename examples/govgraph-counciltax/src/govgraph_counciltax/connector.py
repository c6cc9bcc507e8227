"""The ``csv`` connector kind: records from a CSV export, looked up by a key column.

The file is read once when the source opens, and again when it changes on disk (a council's
nightly export replaces it). Values stay text unless ``columns`` gives a type; a row whose
typed value does not parse fails its own key alone (a corrupt record).
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from legacy_connectors.base import Connector, ConnectorSettings, Health, Record, Result
from legacy_connectors.errors import CorruptRecordError, UpstreamUnavailableError

__all__ = ["CsvConnector", "CsvSettings"]

ColumnType = Literal["str", "int", "decimal", "date"]


class CsvSettings(ConnectorSettings):
    """Where the CSV export is and how to read it."""

    path: str
    """The CSV file (a header row, then one record per row); ``./`` is the config's folder."""
    key_field: str
    """The column records are looked up by."""
    many: bool = False
    """Several rows may share a key: each key gives the list of its rows."""
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    """The field separator."""
    encoding: str = "utf-8"
    """The file's text encoding."""
    columns: dict[str, ColumnType] = Field(default_factory=dict)
    """Types of columns that are not text (``int``, ``decimal``, ``date`` as ``YYYY-MM-DD``)."""


class _Corrupt:
    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        self.column = column


def _convert(kind: ColumnType, text: str) -> Any:
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "date":
        return date.fromisoformat(text)
    return text


class CsvConnector(Connector):
    """Records of one CSV file, indexed by their key column."""

    kind = "csv"
    Settings = CsvSettings
    settings: CsvSettings

    def __init__(self, name: str, settings: CsvSettings) -> None:
        super().__init__(name, settings)
        self._rows: dict[str, list[dict[str, Any] | _Corrupt]] = {}
        self._stamp: tuple[int, int] | None = None
        self._lock = asyncio.Lock()

    def _read(self) -> tuple[dict[str, list[dict[str, Any] | _Corrupt]], tuple[int, int]]:
        path = Path(self.settings.path)
        stat = path.stat()
        rows: dict[str, list[dict[str, Any] | _Corrupt]] = {}
        with path.open(encoding=self.settings.encoding, newline="") as fh:
            reader = csv.DictReader(fh, delimiter=self.settings.delimiter)
            if reader.fieldnames is None or self.settings.key_field not in reader.fieldnames:
                raise UpstreamUnavailableError(
                    f"{self.name}: the file has no {self.settings.key_field!r} column",
                    service=self.name,
                )
            for raw in reader:
                key = (raw.get(self.settings.key_field) or "").strip()
                if not key:
                    continue
                rows.setdefault(key, []).append(self._typed(raw))
        return rows, (stat.st_mtime_ns, stat.st_size)

    def _typed(self, raw: Mapping[str, str | None]) -> dict[str, Any] | _Corrupt:
        record: dict[str, Any] = {}
        for column, value in raw.items():
            if column is None:
                continue
            text = (value or "").strip()
            kind = self.settings.columns.get(column, "str")
            try:
                record[column] = _convert(kind, text)
            except (ValueError, InvalidOperation):
                return _Corrupt(column)
        return record

    async def _refresh(self) -> None:
        try:
            stat = await asyncio.to_thread(os.stat, self.settings.path)
        except OSError as exc:
            raise UpstreamUnavailableError(
                f"{self.name}: the CSV export cannot be read",
                service=self.name,
                detail=type(exc).__name__,
            ) from exc
        if self._stamp == (stat.st_mtime_ns, stat.st_size):
            return
        async with self._lock:
            if self._stamp == (stat.st_mtime_ns, stat.st_size):
                return
            try:
                self._rows, self._stamp = await asyncio.to_thread(self._read)
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                raise UpstreamUnavailableError(
                    f"{self.name}: the CSV export cannot be read",
                    service=self.name,
                    detail=type(exc).__name__,
                ) from exc

    async def open(self) -> None:
        await self._refresh()

    def _result(self, key: str) -> Result:
        rows = self._rows.get(key)
        if not rows:
            return [] if self.settings.many else None
        for row in rows:
            if isinstance(row, _Corrupt):
                return CorruptRecordError(
                    f"{self.name}: a record has an unreadable {row.column!r} value",
                    service=self.name,
                )
        records = [row for row in rows if isinstance(row, dict)]
        return records if self.settings.many else records[0]

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        await self._refresh()
        return [self._result(key) for key in keys]

    async def health(self) -> Health:
        try:
            await self._refresh()
        except UpstreamUnavailableError as exc:
            return Health(status="down", detail=exc.message)
        return Health(status="up", facts={"keys": len(self._rows)})

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        await self._refresh()
        batch: list[tuple[str, Record]] = []
        for key, rows in self._rows.items():
            for row in rows:
                if isinstance(row, dict):
                    batch.append((key, row))
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
        if batch:
            yield batch
