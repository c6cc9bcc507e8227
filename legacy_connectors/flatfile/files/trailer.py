"""File-level checks before a file is served: header capture and trailer count / hash total."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.convert import field_decoder
from legacy_connectors.flatfile.copybook.model import Field
from legacy_connectors.flatfile.errors import FieldDecodeError, FileIntegrityError
from legacy_connectors.flatfile.files.framing import Spans
from legacy_connectors.flatfile.schema import FileSchema
from legacy_connectors.flatfile.settings import FlatFileSettings

if TYPE_CHECKING:
    from legacy_connectors.flatfile.files.dataset import Generation

__all__ = ["check_file", "pick", "static_offset"]


def _ancestors(node: Field) -> list[Field]:
    out = []
    cur: Field | None = node
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def static_offset(root: Field, node: Field, variable: bool) -> bool:
    """True when ``node`` is always at ``node.offset`` (not in an array, no ODO before it)."""
    if any(n.occurs is not None for n in _ancestors(node)):
        return False
    if not variable:
        return True
    return not any(n.depending_on and n.offset < node.offset for n in root.walk())


def pick(values: dict[str, Any], node: Field) -> Any:
    """The value of ``node`` in a decoded record (None when absent)."""
    cur: Any = values
    for n in reversed(_ancestors(node)):
        if n.parent is None or n.is_filler:
            continue
        if not isinstance(cur, dict) or n.key not in cur:
            return None
        cur = cur[n.key]
    return cur


def _decode_at(gen: Generation, spans: Spans, pos: int, schema: FileSchema) -> dict[str, Any]:
    record = gen.read(spans.offsets[pos], spans.lengths[pos])
    try:
        return schema.decode(record, "null_fields")[1]
    except Exception as exc:
        raise FileIntegrityError(
            f"{gen.path.name}: record {pos + 1} cannot be decoded: {exc}"
        ) from exc


def _trailer_position(
    gen: Generation, spans: Spans, schema: FileSchema, record_type: str | None
) -> int:
    last = len(spans.offsets) - 1
    if record_type is None or schema.segment is None:
        return last
    wanted = schema.segment_raw.get(record_type)
    off, size = schema.segment
    for i in range(last, -1, -1):
        if gen.read(spans.offsets[i] + off, size) == wanted:
            return i
    return -1


def _hash_total(
    gen: Generation,
    spans: Spans,
    layouts: npt.NDArray[np.int16],
    schema: FileSchema,
    name: str,
    variable: bool,
) -> tuple[Decimal, int]:
    total = Decimal(0)
    failed = 0
    for code, layout in enumerate(schema.data_layouts):
        node = schema.field(layout, name)
        if not static_offset(schema.roots[layout], node, variable):
            raise FileIntegrityError(f"hash field {name} must not follow a variable array")
        decode = field_decoder(node, schema.options)
        end = node.offset + node.size
        offsets, lengths = spans.offsets, spans.lengths
        for i in np.nonzero(layouts == code)[0].tolist():
            if lengths[i] < end:
                failed += 1
                gen.bad_records.add(i + 1)
                continue
            try:
                value = decode(gen.read(offsets[i] + node.offset, node.size), 0)
            except FieldDecodeError:
                failed += 1
                gen.bad_records.add(i + 1)
                continue
            if value is not None:
                total += value
    return total, failed


def check_file(
    gen: Generation,
    spans: Spans,
    layouts: npt.NDArray[np.int16],
    schema: FileSchema,
    settings: FlatFileSettings,
) -> None:
    """Keep the header record for health; check the trailer (raises FileIntegrityError)."""
    if len(spans.offsets) and schema.segment is not None and layouts[0] == -1:
        gen.header = _decode_at(gen, spans, 0, schema)
    check = settings.trailer
    if check is None:
        return
    pos = _trailer_position(gen, spans, schema, check.record_type)
    if pos < 0:
        raise FileIntegrityError(f"{gen.path.name}: no trailer record")
    record = gen.read(spans.offsets[pos], spans.lengths[pos])
    layout = schema.layout_of(record) or next(iter(schema.roots))
    trailer = _decode_at(gen, spans, pos, schema)
    gen.trailer = trailer
    if check.count_field:
        expected = pick(trailer, schema.field(layout, check.count_field))
        actual = gen.data_count if check.count_includes == "data" else gen.record_count
        if expected is None or int(expected) != actual:
            raise FileIntegrityError(
                f"{gen.path.name}: trailer {check.count_field} says {expected} records, "
                f"the file has {actual}"
            )
    if check.hash_field and check.hash_of:
        expected = pick(trailer, schema.field(layout, check.hash_field))
        total, failed = _hash_total(
            gen, spans, layouts, schema, check.hash_of, settings.variable_size_occurs
        )
        if expected is None or Decimal(expected) != total:
            more = f" ({failed} records with an unreadable {check.hash_of})" if failed else ""
            raise FileIntegrityError(
                f"{gen.path.name}: trailer {check.hash_field} is {expected}, the sum of "
                f"{check.hash_of} is {total}{more}"
            )
