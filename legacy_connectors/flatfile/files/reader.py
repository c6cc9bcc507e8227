"""Read a whole file record by record (for the command line, scans and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from legacy_connectors.flatfile.errors import RecordDecodeError
from legacy_connectors.flatfile.files.framing import (
    Buffer,
    Framing,
    RecordFormat,
    detect_framing,
    record_spans,
)
from legacy_connectors.flatfile.schema import CorruptPolicy, FileSchema

__all__ = ["DecodedRecord", "FileReader"]


@dataclass(slots=True)
class DecodedRecord:
    """One record of a file: its number (1-based), offset, layout, values or error."""

    number: int
    offset: int
    layout: str | None
    values: dict[str, Any] | None
    error: RecordDecodeError | None = None


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
