"""Write record files (F/FB, V, VB, D) and append records to one atomically.

Files are written to a temporary name in the same directory and renamed over the target with
``os.replace``, so a reader never sees a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from legacy_connectors.flatfile.codec.encoder import RecordEncoder
from legacy_connectors.flatfile.files.framing import (
    Framing,
    RecordFormat,
    detect_framing,
    record_spans,
)
from legacy_connectors.flatfile.schema import FileSchema, schema_from_settings
from legacy_connectors.flatfile.settings import FlatFileSettings

__all__ = [
    "append_records",
    "frame_records",
    "iter_frames",
    "write_atomic",
    "write_batch",
    "write_records",
]

MAX_BLOCK = 32760


def _word(length: int, framing: Framing) -> bytes:
    if length > 0xFFFF:
        raise ValueError(f"length {length} does not fit in a 2-byte descriptor word")
    if framing.endian == "big":
        return length.to_bytes(2, "big") + b"\x00\x00"
    return b"\x00\x00" + length.to_bytes(2, "little")


def frame_records(
    records: Iterable[bytes], framing: Framing, *, block_size: int = 27998, pad: bytes = b"\x40"
) -> bytes:
    """The bytes of a file holding ``records`` in ``framing``'s record format."""
    return b"".join(iter_frames(records, framing, block_size=block_size, pad=pad))


def iter_frames(
    records: Iterable[bytes], framing: Framing, *, block_size: int = 27998, pad: bytes = b"\x40"
) -> Iterator[bytes]:
    """The bytes of a file holding ``records`` in ``framing``'s record format, piece by piece
    (a record, or a block for VB), reading ``records`` as it goes."""
    if framing.recfm in ("F", "FB"):
        lrecl = framing.lrecl or 0
        for rec in records:
            if len(rec) > lrecl:
                raise ValueError(f"record of {len(rec)} bytes is longer than LRECL {lrecl}")
            yield rec.ljust(lrecl, pad)
        return
    if framing.recfm == "D":
        for rec in records:
            yield rec + b"\n"
        return
    rdw_extra = 4 if framing.rdw_includes_header else 0
    framed = (_word(len(r) + rdw_extra, framing) + r for r in records)
    if framing.recfm == "V":
        yield from framed
        return
    limit = min(block_size, MAX_BLOCK)
    bdw_extra = 4 if framing.bdw_includes_header else 0
    block: list[bytes] = []
    used = 4
    for rec in framed:
        if block and used + len(rec) > limit:
            yield _word(used - 4 + bdw_extra, framing) + b"".join(block)
            block, used = [], 4
        block.append(rec)
        used += len(rec)
    if block:
        yield _word(used - 4 + bdw_extra, framing) + b"".join(block)


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or pieces of bytes written as they come) to ``path`` through a
    temporary file and ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(
    path: Path,
    records: Iterable[bytes],
    recfm: RecordFormat,
    *,
    lrecl: int | None = None,
    block_size: int = 27998,
    pad: bytes = b"\x40",
) -> None:
    """Write encoded records as a file of ``recfm`` (standard IBM descriptor words)."""
    data = frame_records(records, Framing(recfm=recfm, lrecl=lrecl), block_size=block_size, pad=pad)
    write_atomic(path, data)


def _read_records(
    path: Path, settings: FlatFileSettings, schema: FileSchema
) -> tuple[list[bytes], Framing]:
    raw = path.read_bytes()
    framing = detect_framing(
        raw,
        settings.recfm,
        lrecl=settings.lrecl or max(r.size for r in schema.roots.values()),
        endian=settings.rdw_endian,
        rdw_includes_header=settings.rdw_includes_header,
        bdw_includes_header=settings.bdw_includes_header,
    )
    spans = record_spans(raw, framing)
    if spans.problem is not None or spans.damaged:
        raise ValueError(f"{path.name}: {spans.problem or spans.damaged[0]}")
    return [raw[o : o + n] for o, n in zip(spans.offsets, spans.lengths, strict=True)], framing


def _key(name: str) -> str:
    return name.replace("-", "_")


def append_records(
    path: Path,
    settings: FlatFileSettings,
    records: Sequence[Mapping[str, Any]],
    *,
    record_type: str | None = None,
) -> None:
    """Append records (of ``record_type``, default the first data type) before the file's
    trailer, update the trailer's count and hash total, and replace the file atomically."""
    path = Path(path)
    schema = schema_from_settings(settings)
    existing, framing = _read_records(path, settings, schema)
    kind, layout = _data_type(schema, record_type)
    encoder = RecordEncoder(schema.roots[layout], schema.options)
    seg_key = _key(settings.record_types.field) if settings.record_types else None
    new = []
    for values in records:
        full = dict(values)
        if seg_key and kind is not None:
            full[seg_key] = kind
        new.append(encoder.encode(full))
    check = settings.trailer
    if check is None:
        write_atomic(path, frame_records(existing + new, framing))
        return
    pos = len(existing) - 1
    if check.record_type is not None and schema.segment is not None:
        off, size = schema.segment
        wanted = schema.segment_raw[check.record_type]
        pos = max(i for i, r in enumerate(existing) if r[off : off + size] == wanted)
    t_layout, trailer = schema.decode(existing[pos], "fail_record")
    is_data = layout in schema.data_layouts
    if check.count_field and (is_data or check.count_includes == "all"):
        key = _key(check.count_field)
        if key not in trailer:
            raise ValueError(f"trailer field {check.count_field} is not at the trailer's top level")
        trailer[key] = int(trailer[key] or 0) + len(new)
    if check.hash_field and check.hash_of and is_data:
        key, of = _key(check.hash_field), _key(check.hash_of)
        if key not in trailer:
            raise ValueError(f"trailer field {check.hash_field} is not at the trailer's top level")
        added = sum((Decimal(v.get(of) or v.get(check.hash_of) or 0) for v in records), Decimal(0))
        trailer[key] = Decimal(trailer[key] or 0) + added
    rebuilt = [
        *existing[:pos],
        *new,
        RecordEncoder(schema.roots[t_layout], schema.options).encode(trailer),
        *existing[pos + 1 :],
    ]
    write_atomic(path, frame_records(rebuilt, framing))


def _data_type(schema: FileSchema, record_type: str | None) -> tuple[str | None, str]:
    data_type = record_type or (schema.data_values[0] if schema.data_values else None)
    if data_type is None:
        return None, schema.data_layouts[0]
    return data_type, schema.by_segment[schema.segment_raw[data_type]]


def _type_of(schema: FileSchema, layout: str) -> str | None:
    return next(
        (v for v, raw in schema.segment_raw.items() if schema.by_segment[raw] == layout), None
    )


def write_batch(
    path: Path,
    settings: FlatFileSettings,
    details: Iterable[Mapping[str, Any]],
    *,
    header: Mapping[str, Any] | None = None,
    trailer: Mapping[str, Any] | None = None,
    block_size: int = 27998,
) -> int:
    """Write a header / detail / trailer file as ``settings`` describes it; return the number
    of detail records. ``details`` is read as the file is written, so it may be a generator
    of any length.

    The segment field of each record is filled in from ``settings.record_types``; the trailer's
    count and hash total (``settings.trailer``) are computed from the details.
    """
    schema = schema_from_settings(settings)
    seg_key = settings.record_types.field.replace("-", "_") if settings.record_types else None
    data_type, layout = _data_type(schema, None)
    encoder = RecordEncoder(schema.roots[layout], schema.options)
    check = settings.trailer
    hash_key = check.hash_of.replace("-", "_") if check and check.hash_of else None
    written = [0]

    def records() -> Iterator[bytes]:
        if header is not None:
            yield _encode_typed(schema, header, seg_key, exclude=layout)
        count = 0
        total = Decimal(0)
        for values in details:
            full = dict(values)
            if seg_key and data_type is not None:
                full[seg_key] = data_type
            yield encoder.encode(full)
            count += 1
            if hash_key is not None:
                total += Decimal(values.get(hash_key) or 0)
        written[0] = count
        if check is not None or trailer is not None:
            values = dict(trailer or {})
            if check is not None and check.count_field:
                extra = 0 if check.count_includes == "data" else (2 if header is not None else 1)
                values[check.count_field.replace("-", "_")] = count + extra
            if check is not None and check.hash_field and hash_key is not None:
                values[check.hash_field.replace("-", "_")] = total
            wanted = check.record_type if check is not None else None
            yield _encode_typed(
                schema, values, seg_key, record_type=wanted, exclude=layout, last=True
            )

    framing = Framing(
        recfm=settings.recfm, lrecl=settings.lrecl or max(r.size for r in schema.roots.values())
    )
    write_atomic(path, iter_frames(records(), framing, block_size=block_size))
    return written[0]


def _encode_typed(
    schema: FileSchema,
    values: Mapping[str, Any],
    seg_key: str | None,
    *,
    exclude: str,
    record_type: str | None = None,
    last: bool = False,
) -> bytes:
    """Encode a header (first non-data type) or trailer (last non-data type) record."""
    others = [n for n in schema.roots if n != exclude]
    if record_type is not None:
        layout = schema.by_segment[schema.segment_raw[record_type]]
    elif others:
        layout = others[-1] if last else others[0]
    else:
        layout = exclude
    full = dict(values)
    kind = _type_of(schema, layout)
    if seg_key and kind is not None:
        full.setdefault(seg_key, kind)
    return RecordEncoder(schema.roots[layout], schema.options).encode(full)
