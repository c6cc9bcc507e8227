"""Read a whole file record by record, or block by block into columns (for the command line,
exports, scans and benchmarks)."""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.columnar import (
    ColumnarDecoder,
    ColumnBlock,
    Outcome,
    detached,
)
from legacy_connectors.flatfile.errors import RecordDecodeError
from legacy_connectors.flatfile.files.framing import (
    Buffer,
    Framing,
    RecordFormat,
    detect_framing,
    record_spans,
)
from legacy_connectors.flatfile.schema import CorruptPolicy, FileSchema

__all__ = ["BLOCK_RECORDS", "DecodedRecord", "FileReader", "LayoutBlock", "RecordBlock"]

BLOCK_RECORDS = 65536
"""Records decoded together by :meth:`FileReader.blocks` (memory stays bounded by one block)."""


@dataclass(slots=True)
class DecodedRecord:
    """One record of a file: its number (1-based), offset, layout, values or error."""

    number: int
    offset: int
    layout: str | None
    values: dict[str, Any] | None
    error: RecordDecodeError | None = None


@dataclass(slots=True)
class LayoutBlock:
    """The records of one layout within a block: their positions in the block and columns."""

    layout: str
    positions: npt.NDArray[np.intp]
    columns: ColumnBlock


@dataclass(slots=True)
class RecordBlock:
    """Consecutive records of a file decoded together, split by layout."""

    numbers: npt.NDArray[np.int64]
    """1-based record numbers."""
    offsets: npt.NDArray[np.int64]
    parts: list[LayoutBlock]
    unknown: dict[int, RecordDecodeError] = field(default_factory=dict)
    """Positions whose segment value names no layout, with their error."""

    def records(self, name: str = "file") -> Iterator[DecodedRecord]:
        """Every record of the block in file order, materialised as the per-record path does."""
        found: dict[int, tuple[str | None, Outcome]] = {
            pos: (None, err) for pos, err in self.unknown.items()
        }
        for part in self.parts:
            outcomes = part.columns.records()
            for pos, outcome in zip(part.positions.tolist(), outcomes, strict=True):
                found[pos] = (part.layout, outcome)
        for pos in range(len(self.numbers)):
            layout, outcome = found[pos]
            number, offset = int(self.numbers[pos]), int(self.offsets[pos])
            if isinstance(outcome, RecordDecodeError):
                located = outcome.located(file=name, record_number=number, record_offset=offset)
                yield DecodedRecord(number, offset, None, None, located)
            else:
                yield DecodedRecord(number, offset, layout, outcome)


class FileReader:
    """Frames a file's bytes and decodes each record by the schema."""

    def __init__(
        self,
        data: Buffer,
        schema: FileSchema,
        *,
        recfm: RecordFormat = "F",
        lrecl: int | None = None,
        endian: Literal["auto", "big", "little"] = "auto",
        rdw_includes_header: bool | None = None,
        bdw_includes_header: bool | None = None,
        name: str = "file",
    ) -> None:
        self.data = data
        self.schema = schema
        self.name = name
        size = lrecl or max(r.size for r in schema.roots.values())
        self.framing: Framing = detect_framing(
            data,
            recfm,
            lrecl=size,
            endian=endian,
            rdw_includes_header=rdw_includes_header,
            bdw_includes_header=bdw_includes_header,
        )
        self.spans = record_spans(data, self.framing)
        self._columnar: dict[str, ColumnarDecoder] = {}

    def columnar(self, layout: str) -> ColumnarDecoder:
        """The block decoder of one layout (built once)."""
        found = self._columnar.get(layout)
        if found is None:
            found = self._columnar[layout] = ColumnarDecoder(self.schema.decoders[layout])
        return found

    def blocks(
        self, policy: CorruptPolicy = "fail_record", size: int = BLOCK_RECORDS
    ) -> Iterator[RecordBlock]:
        """Decode the file ``size`` records at a time into columns, one part per layout.

        Pages of a memory-mapped file are released once their block is decoded, so memory
        stays bounded by one block however large the file."""
        buf = np.frombuffer(self.data, dtype=np.uint8) if len(self.data) else None
        offsets = np.frombuffer(self.spans.offsets, dtype=np.int64)
        lengths = np.asarray(self.spans.lengths, dtype=np.int64)
        numbers = np.arange(1, len(offsets) + 1, dtype=np.int64)
        for start in range(0, len(offsets), size):
            stop = min(start + size, len(offsets))
            assert buf is not None
            yield self._block(
                buf, offsets[start:stop], lengths[start:stop], numbers[start:stop], policy
            )
            self._release(int(offsets[stop - 1] + lengths[stop - 1]))

    def _release(self, end: int) -> None:
        data = self.data
        if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            whole = end - end % mmap.PAGESIZE
            if whole > 0:
                data.madvise(mmap.MADV_DONTNEED, 0, whole)

    def _block(
        self,
        buf: npt.NDArray[np.uint8],
        offs: npt.NDArray[np.int64],
        lens: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.int64],
        policy: CorruptPolicy,
    ) -> RecordBlock:
        schema = self.schema
        block = RecordBlock(numbers, offs, [])
        codes = np.zeros(len(offs), dtype=np.int32)
        names = list(schema.roots)
        if schema.segment is not None:
            off, width = schema.segment
            codes[:] = -1
            fits = lens >= off + width
            seg = np.full(len(offs), b"", dtype=f"S{width}")
            seg[fits] = _rows(buf, offs[fits] + off, width).view(f"S{width}").reshape(-1)
            for raw, layout in schema.by_segment.items():
                codes[seg == np.array(raw, dtype=f"S{width}")] = names.index(layout)
            for pos in np.flatnonzero(codes < 0).tolist():
                start = int(offs[pos])
                record = bytes(buf[start : start + int(lens[pos])])
                try:
                    schema.decode(record, policy)
                except RecordDecodeError as exc:
                    block.unknown[pos] = detached(exc)
        for code, layout in enumerate(names):
            mine = np.flatnonzero(codes == code)
            if not len(mine):
                continue
            decoder = self.columnar(layout)
            full = lens[mine] >= decoder.size
            whole, short = mine[full], mine[~full]
            if len(whole):
                rows = _rows(buf, offs[whole], decoder.size)
                block.parts.append(LayoutBlock(layout, whole, decoder.decode(rows, policy)))
            if len(short):
                records = [
                    bytes(buf[int(offs[p]) : int(offs[p]) + int(lens[p])]) for p in short.tolist()
                ]
                block.parts.append(LayoutBlock(layout, short, decoder.decode(records, policy)))
        return block

    def other_formats(self) -> list[RecordFormat]:
        """Other record formats under which the whole file frames cleanly (hints for users)."""
        found: list[RecordFormat] = []
        for recfm in ("VB", "V"):
            if recfm == self.framing.recfm:
                continue
            framing = detect_framing(self.data, recfm)
            spans = record_spans(self.data, framing)
            if spans.problem is None and not spans.damaged and len(spans.offsets):
                found.append(recfm)
        return found

    @property
    def problem(self) -> str | None:
        """Why framing stopped before the end of the file (None when it read to the end)."""
        return self.spans.problem

    def records(self, policy: CorruptPolicy = "fail_record") -> Iterator[DecodedRecord]:
        """Decode every framed record; a failing one carries its located error."""
        data = self.data
        decode = self.schema.decode
        for number, (offset, length) in enumerate(
            zip(self.spans.offsets, self.spans.lengths, strict=True), start=1
        ):
            record = bytes(data[offset : offset + length])
            try:
                layout, values = decode(record, policy)
            except RecordDecodeError as exc:
                located = exc.located(file=self.name, record_number=number, record_offset=offset)
                yield DecodedRecord(number, offset, None, None, located)
                continue
            yield DecodedRecord(number, offset, layout, values)


def _rows(buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], width: int) -> Any:
    """``(len(starts), width)`` bytes from each start: a strided view when the starts are evenly
    spaced (fixed-length records), else a gather."""
    n = len(starts)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    first = int(starts[0])
    stride = int(starts[1] - starts[0]) if n > 1 else width
    if stride >= width and int(starts[-1]) == first + stride * (n - 1):
        even = n < 3 or bool((np.diff(starts) == stride).all())
        if even and first + stride * (n - 1) + width <= len(buf):
            return np.lib.stride_tricks.as_strided(
                buf[first:], shape=(n, width), strides=(stride, 1), writeable=False
            )
    return buf[starts[:, None] + np.arange(width, dtype=np.int64)[None, :]]
