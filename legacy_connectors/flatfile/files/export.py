"""Export a whole file as JSON lines, CSV or Parquet, decoded block by block into columns.

JSON lines keep the record's shape (groups as objects, OCCURS as arrays). CSV and Parquet are
flat: one column per elementary item, named by its path (``GROUP.FIELD``, ``ITEMS[2].AMOUNT``),
after ``_record`` (the record's 1-based number in the file); a file with several layouts gets
``_layout`` too and every layout's columns, named ``LAYOUT.path``, null in other layouts' rows.
Under ``null_fields`` a ``_corrupt_fields`` column lists a record's bad fields. Records that fail
are reported to ``on_error`` and left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from legacy_connectors.flatfile.codec.arrow import arrow_fields, to_arrow
from legacy_connectors.flatfile.codec.jsonout import to_json
from legacy_connectors.flatfile.files.reader import DecodedRecord, FileReader, RecordBlock
from legacy_connectors.flatfile.schema import CorruptPolicy

__all__ = ["ExportFormat", "export"]

ExportFormat = Literal["jsonl", "csv", "parquet"]
OnRecord = Callable[[DecodedRecord], None]


def export(
    reader: FileReader,
    out: IO[Any],
    fmt: ExportFormat,
    policy: CorruptPolicy,
    on_error: OnRecord,
) -> None:
    """Write every record of ``reader``'s file to ``out`` (text for jsonl, binary otherwise);
    ``on_error`` sees each failing record and each record with corrupt fields."""
    if fmt == "jsonl":
        _jsonl(reader, out, policy, on_error)
        return
    layouts = list(reader.schema.roots)
    several = len(layouts) > 1
    fields = [pa.field("_record", pa.int64())]
    if several:
        fields.append(pa.field("_layout", pa.string()))
    for layout in layouts:
        fields += arrow_fields(reader.columnar(layout), f"{layout}." if several else "")
    if policy == "null_fields":
        fields.append(pa.field("_corrupt_fields", pa.string()))
    schema = pa.schema(fields)
    writer: Any = (
        pq.ParquetWriter(out, schema, compression="snappy")
        if fmt == "parquet"
        else pacsv.CSVWriter(out, schema)
    )
    try:
        for block in reader.blocks(policy):
            _report(block, reader, on_error)
            for batch in _batches(block, schema, several):
                writer.write_batch(batch)
    finally:
        writer.close()


def _jsonl(reader: FileReader, out: IO[Any], policy: CorruptPolicy, on_error: OnRecord) -> None:
    show_layout = len(reader.schema.roots) > 1
    for block in reader.blocks(policy):
        lines = []
        for rec in block.records(reader.name):
            if rec.error is not None or "_corrupt_fields" in (rec.values or {}):
                on_error(rec)
            if rec.error is not None:
                continue
            values = rec.values or {}
            if show_layout:
                values = {"_layout": rec.layout, **values}
            lines.append(to_json(values))
        if lines:
            out.write("\n".join(lines) + "\n")


def _report(block: RecordBlock, reader: FileReader, on_error: OnRecord) -> None:
    """Hand failing and corrupt records to ``on_error`` (only those: the rest stay columns)."""
    wanted = set(block.unknown)
    for part in block.parts:
        wanted.update(part.positions[row] for row in part.columns.outcomes)
    if not wanted:
        return
    for rec in block.records(reader.name):
        if rec.number - int(block.numbers[0]) in wanted:
            on_error(rec)


def _batches(block: RecordBlock, schema: pa.Schema, several: bool) -> list[pa.RecordBatch]:
    out = []
    for part in block.parts:
        columns = part.columns
        keep = ~columns.failed()
        if not keep.any():
            continue
        prefix = f"{part.layout}." if several else ""
        batch = to_arrow(columns, keep, prefix)
        count = int(keep.sum())
        arrays: dict[str, pa.Array] = {name: batch.column(name) for name in batch.schema.names}
        arrays["_record"] = pa.array(block.numbers[part.positions[keep]], type=pa.int64())
        if several:
            arrays["_layout"] = pa.array([part.layout] * count, type=pa.string())
        if "_corrupt_fields" in schema.names:
            corrupt: list[str | None] = [None] * len(keep)
            for row, outcome in columns.outcomes.items():
                if isinstance(outcome, dict) and "_corrupt_fields" in outcome:
                    corrupt[row] = ", ".join(outcome["_corrupt_fields"])
            arrays["_corrupt_fields"] = pa.array(
                [c for c, k in zip(corrupt, keep.tolist(), strict=True) if k], type=pa.string()
            )
        full = [
            arrays[f.name] if f.name in arrays else pa.nulls(count, type=f.type) for f in schema
        ]
        out.append(pa.RecordBatch.from_arrays(full, schema=schema))
    return out
