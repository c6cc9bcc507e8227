"""The ``flatfile`` connector: serve mainframe batch-file records by key, picking up new
generations without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from legacy_connectors.base import (
    ChangePage,
    Connector,
    ConnectorSettings,
    Health,
    Record,
    Result,
)
from legacy_connectors.errors import (
    ConfigurationError,
    LegacyError,
    UpstreamUnavailableError,
)
from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.columnar import ColumnarDecoder
from legacy_connectors.flatfile.codec.convert import is_text
from legacy_connectors.flatfile.errors import FileIntegrityError, RecordDecodeError
from legacy_connectors.flatfile.files.dataset import (
    Fingerprint,
    Generation,
    fingerprint,
    load_generation,
)
from legacy_connectors.flatfile.files.diff import diff_generations
from legacy_connectors.flatfile.files.feed import FeedCursor, GenerationId, expired
from legacy_connectors.flatfile.files.keyindex import KeyNormaliser, key_normaliser
from legacy_connectors.flatfile.schema import FileSchema, schema_from_settings
from legacy_connectors.flatfile.settings import FlatFileSettings
from legacy_connectors.flatfile.writes.command_limits import command_limits
from legacy_connectors.flatfile.writes.commands import InputBatch
from legacy_connectors.limits import FieldLimit

__all__ = ["FlatFileConnector"]

log = logging.getLogger(__name__)

_THREAD_ABOVE = 200
"""Batches with more keys than this are decoded in a worker thread."""


class FlatFileConnector(Connector):
    """Serves records of a fixed-width (EBCDIC or ASCII) file described by a COBOL copybook.

    ``open()`` parses the copybook and builds a key index in a worker thread; ``load_many``
    decodes only the requested records. A background task polls for a changed file or a newer
    generation in ``directory`` and swaps the index in only once the new file is fully indexed
    and has passed its checks; a file that fails is rejected and the old one keeps serving.
    """

    kind: ClassVar[str] = "flatfile"
    Settings: ClassVar[type[ConnectorSettings]] = FlatFileSettings

    def __init__(self, name: str, settings: ConnectorSettings) -> None:
        super().__init__(name, settings)
        assert isinstance(settings, FlatFileSettings)
        self.cfg: FlatFileSettings = settings
        self.schema: FileSchema | None = None
        self.current: Generation | None = None
        self.rejected: dict[Fingerprint, str] = {}
        self.last_error: str | None = None
        self._normalisers: dict[str, KeyNormaliser] = {}
        self._text_key = True
        self._poller: asyncio.Task[None] | None = None
        self._refresh_lock = asyncio.Lock()
        self._batches: dict[str, InputBatch] = {}
        self._columnar: dict[str, ColumnarDecoder] = {}
        self._limits: dict[str, list[FieldLimit]] = {}

    async def open(self) -> None:
        """Parse the copybook, index the newest valid file and start watching for new ones."""
        try:
            self.schema = await asyncio.to_thread(schema_from_settings, self.cfg)
        except OSError as exc:
            raise ConfigurationError(
                f"copybook {self.cfg.copybook.name} cannot be read",
                service=self.name,
                detail=str(exc),
            ) from exc
        for layout in self.schema.data_layouts:
            node = self.schema.field(layout, self.cfg.key_field)
            self._normalisers[layout] = key_normaliser(node, self.schema.options)
            self._text_key = is_text(node)
        await self.refresh()
        self._poller = asyncio.create_task(self._poll(), name=f"flatfile-poll-{self.name}")

    def _candidates(self) -> list[Path]:
        if self.cfg.file is not None:
            return [self.cfg.file] if self.cfg.file.exists() else []
        directory = self.cfg.directory
        assert directory is not None
        names = sorted(
            (
                p
                for p in directory.iterdir()
                if p.is_file()
                and not p.name.startswith(".")
                and fnmatch.fnmatchcase(p.name, self.cfg.pattern)
            ),
            key=lambda p: p.name,
            reverse=True,
        )
        return names

    async def refresh(self) -> bool:
        """Look for a changed or newer file now; True when a new generation was swapped in."""
        async with self._refresh_lock:
            try:
                candidates = await asyncio.to_thread(self._candidates)
            except OSError as exc:
                self.last_error = f"cannot list files: {exc.strerror}"
                return False
            if not candidates:
                self.last_error = "no file to serve"
                return False
            for path in candidates:
                try:
                    print_ = fingerprint(path)
                except OSError:
                    continue
                if self.current is not None and self.current.print == print_:
                    return False
                if print_ in self.rejected:
                    if self.current is None:
                        continue
                    return False
                assert self.schema is not None
                try:
                    gen = await asyncio.to_thread(load_generation, path, self.schema, self.cfg)
                except (FileIntegrityError, OSError) as exc:
                    reason = (
                        str(exc)
                        if isinstance(exc, LegacyError)
                        else (f"{path.name} cannot be read: {exc.strerror}")
                    )
                    self.rejected[print_] = reason
                    self.last_error = reason
                    log.warning("flat-file source %s rejected %s: %s", self.name, path.name, reason)
                    if self.current is None:
                        continue
                    return False
                self._swap(gen)
                return True
            return False

    def _swap(self, gen: Generation) -> None:
        old = self.current
        self.current = gen
        self.last_error = None
        log.info(
            "flat-file source %s serving %s (%d records)",
            self.name,
            gen.path.name,
            gen.record_count,
        )
        if old is not None:
            old.retired = True
            if old.users == 0:
                old.close()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.poll_interval_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("flat-file source %s: polling failed", self.name)

    def _generation(self) -> Generation:
        gen = self.current
        if gen is None:
            raise UpstreamUnavailableError(
                f"flat-file source {self.name} has no valid file to serve",
                service=self.name,
                detail=self.last_error,
            )
        return gen

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One result per key: a record, a list of records (``many``), None, or an error."""
        gen = self._generation()
        if len(keys) <= _THREAD_ABOVE:
            return self._load(gen, keys)
        gen.users += 1
        try:
            return await asyncio.to_thread(self._load, gen, keys)
        finally:
            gen.users -= 1
            if gen.retired and gen.users == 0:
                gen.close()

    def _load(self, gen: Generation, keys: Sequence[str]) -> list[Result]:
        assert self.schema is not None
        normal = next(iter(self._normalisers.values()))
        width = gen.index.keys.dtype.itemsize
        probes = [normal(k) if isinstance(k, str) else None for k in keys]
        usable = [p if p is not None and len(p) <= width else b"\xff" * width for p in probes]
        lows, highs = gen.index.find_many(usable)
        out: list[Result] = []
        for probe, lo, hi in zip(probes, lows, highs, strict=True):
            if probe is None or lo >= hi:
                out.append([] if self.cfg.many else None)
                continue
            records: list[Record] = []
            failed: LegacyError | None = None
            for pos in range(lo, hi if self.cfg.many else lo + 1):
                result = self._decode(gen, pos)
                if isinstance(result, LegacyError):
                    failed = result
                    break
                records.append(result)
            if failed is not None:
                out.append(failed)
            else:
                out.append(records if self.cfg.many else records[0])
        return out

    def _decode(self, gen: Generation, pos: int) -> Record | LegacyError:
        assert self.schema is not None
        index = gen.index
        offset = int(index.offsets[pos])
        number = int(index.numbers[pos])
        data = gen.read(offset, int(index.lengths[pos]))
        try:
            _layout, values = self.schema.decode(data, self.cfg.corrupt_policy)
        except RecordDecodeError as exc:
            gen.bad_records.add(number)
            located = exc.located(file=gen.path.name, record_number=number, record_offset=offset)
            located.service = self.name
            return located
        if "_corrupt_fields" in values:
            gen.bad_records.add(number)
        return values

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        """Append the command's transaction record to its input batch file, once per delivery."""
        spec = self.cfg.commands.get(command)
        if spec is None:
            raise NotImplementedError(f"source {self.name!r} has no command {command!r}")
        batch = self._batches.get(command)
        if batch is None:
            batch = self._batches[command] = InputBatch(self.name, command, spec)
        return await batch.submit(payload, delivery_id)

    async def write_limits(self, command: str) -> list[FieldLimit]:
        """What ``command``'s transaction record can hold (copybook widths, code page)."""
        spec = self.cfg.commands.get(command)
        if spec is None:
            return []
        if command not in self._limits:
            self._limits[command] = await asyncio.to_thread(command_limits, spec)
        return list(self._limits[command])

    async def health(self) -> Health:
        """File, generation, record counts and bad-record count of what is being served."""
        gen = self.current
        facts: dict[str, Any] = {"rejected_files": len(self.rejected)}
        if self.last_error:
            facts["last_error"] = self.last_error
        if gen is None:
            return Health(status="down", detail=self.last_error or "not opened", facts=facts)
        facts.update(
            file=gen.path.name,
            generation=gen.path.name.rsplit(".", 1)[-1],
            framing=gen.framing.describe(),
            record_count=gen.record_count,
            data_records=gen.data_count,
            indexed_keys=len(gen.index),
            unkeyed_records=gen.unkeyed,
            bad_records=len(gen.bad_records) + len(gen.damaged),
            damaged_blocks=len(gen.damaged),
            index_bytes=gen.index.nbytes,
        )
        if gen.header is not None:
            facts["header"] = {k: _plain(v) for k, v in gen.header.items() if not k.startswith("_")}
        if gen.damaged:
            facts["framing_errors"] = gen.damaged[:5]
        degraded = bool(self.last_error or gen.bad_records or gen.damaged)
        return Health(
            status="degraded" if degraded else "up", detail=self.last_error or "", facts=facts
        )

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every data record with its key, in file order, in batches decoded by the columnar
        path (the statistics pass reads the file this way)."""
        gen = self._generation()
        gen.users += 1
        try:
            order = gen.index.numbers.argsort(kind="stable").tolist()
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch = await asyncio.to_thread(self._scan_chunk, gen, chunk)
                if batch:
                    yield batch
        finally:
            gen.users -= 1
            if gen.retired and gen.users == 0:
                gen.close()

    def _scan_chunk(self, gen: Generation, positions: list[int]) -> list[tuple[str, Record]]:
        """Decode a chunk of the scan by the columnar path, layout by layout (records that fail
        are counted as bad and left out, as in ``load_many``)."""
        assert self.schema is not None
        index = gen.index
        records = [gen.read(int(index.offsets[pos]), int(index.lengths[pos])) for pos in positions]
        by_layout: dict[str | None, list[int]] = {}
        for i, record in enumerate(records):
            by_layout.setdefault(self.schema.layout_of(record), []).append(i)
        decoded: dict[int, Record] = {}
        for layout, members in by_layout.items():
            if layout is None:
                for i in members:
                    result = self._decode(gen, positions[i])
                    if not isinstance(result, LegacyError):
                        decoded[i] = result
                continue
            decoder = self._columnar.get(layout)
            if decoder is None:
                decoder = self._columnar[layout] = ColumnarDecoder(self.schema.decoders[layout])
            outcomes = decoder.records([records[i] for i in members], self.cfg.corrupt_policy)
            for i, outcome in zip(members, outcomes, strict=True):
                number = int(index.numbers[positions[i]])
                if isinstance(outcome, RecordDecodeError):
                    gen.bad_records.add(number)
                    continue
                if "_corrupt_fields" in outcome:
                    gen.bad_records.add(number)
                decoded[i] = outcome
        out: list[tuple[str, Record]] = []
        text_key = self._text_key
        cp = code_page(self.schema.options.encoding)
        for i, pos in enumerate(positions):
            if i not in decoded:
                continue
            raw = bytes(index.keys[pos])
            key = cp.decode(raw).strip() if text_key else raw.decode("ascii")
            out.append((key, decoded[i]))
        return out

    # -- change feed ----------------------------------------------------------------------

    @property
    def tracks_changes(self) -> bool:
        """With a ``directory`` of generations: the feed compares the cursor's generation with
        the newest one (a single ``file`` keeps no older generation to compare with)."""
        return self.cfg.directory is not None

    async def change_cursor(self) -> str:
        """The identity (name, size, modification time) of the newest valid generation."""
        self._require_feed()
        await self.refresh()
        return FeedCursor(GenerationId.of(self._generation())).text()

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """Records whose raw bytes differ between the cursor's generation and the newest one,
        and keys only in the former (removed), in key order; see ``files/feed.py``."""
        self._require_feed()
        cursor = FeedCursor.parse(since, self.name)
        await self.refresh()
        gen = self._generation()
        newest = GenerationId.of(gen)
        if cursor.target is not None and cursor.target != newest:
            cursor = FeedCursor(cursor.start)
        if cursor.start == newest:
            yield ChangePage([], [], FeedCursor(newest).text(), False)
            return
        gen.users += 1
        try:
            differing = await asyncio.to_thread(self._diff_from, cursor.start, gen)
            after = cursor.after
            pending = [item for item in differing if after is None or item[0] > after]
            for start in range(0, len(pending), batch_size):
                chunk = pending[start : start + batch_size]
                changed, removed = await asyncio.to_thread(self._change_page, gen, chunk)
                more = start + batch_size < len(pending)
                end = FeedCursor(cursor.start, newest, chunk[-1][0]) if more else FeedCursor(newest)
                yield ChangePage(changed, removed, end.text(), more)
            if not pending:
                yield ChangePage([], [], FeedCursor(newest).text(), False)
        finally:
            gen.users -= 1
            if gen.retired and gen.users == 0:
                gen.close()

    def _require_feed(self) -> None:
        if not self.tracks_changes:
            raise NotImplementedError(
                f"source {self.name!r} serves one file: set 'directory' for a change feed"
            )

    def _diff_from(self, start: GenerationId, gen: Generation) -> list[tuple[bytes, bool]]:
        """The differing raw keys between generation ``start`` (read from disk) and ``gen``."""
        assert self.schema is not None and self.cfg.directory is not None
        path = self.cfg.directory / start.name
        if start.name != path.name or not start.matches(path):
            raise expired(self.name, start, "is no longer on disk as it was")
        try:
            old = load_generation(path, self.schema, self.cfg, checked=False)
        except (FileIntegrityError, OSError) as exc:
            raise expired(self.name, start, f"cannot be read again ({exc})") from exc
        try:
            if GenerationId.of(old) != start:
                raise expired(self.name, start, "changed while it was read")
            return diff_generations(old, gen).ordered()
        finally:
            old.close()

    def _change_page(
        self, gen: Generation, chunk: list[tuple[bytes, bool]]
    ) -> tuple[list[tuple[str, Record]], list[str]]:
        """Decode one page's changed keys from ``gen`` by the scan's columnar path (records
        exactly as ``scan`` gives them; a key none of whose records decodes is listed as
        removed, as ``scan`` leaves it out)."""
        assert self.schema is not None
        cp = code_page(self.schema.options.encoding)
        text_key = self._text_key
        positions: list[int] = []
        keys: list[str] = []
        removed: list[str] = []
        for raw, gone in chunk:
            key = cp.decode(raw).strip() if text_key else raw.decode("ascii")
            if gone:
                removed.append(key)
                continue
            lo, hi = gen.index.find(raw)
            positions.extend(range(lo, hi))
            keys.append(key)
        changed = self._scan_chunk(gen, positions) if positions else []
        found = {key for key, _record in changed}
        removed += [key for key in keys if key not in found]
        return changed, removed

    async def aclose(self) -> None:
        """Stop polling and close the file."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        gen, self.current = self.current, None
        if gen is not None:
            gen.retired = True
            if gen.users == 0:
                gen.close()


def _plain(value: Any) -> Any:
    """A health fact value as JSON-friendly data (dates and decimals as text)."""
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
