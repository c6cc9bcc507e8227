"""Columns to Apache Arrow: one typed Arrow column per value slot of a layout.

Integers are int64 (uint64 for unsigned 8-byte binaries), decimals ``decimal128`` with the
picture's scale, dates ``date32``, text ``string``, COMP-1/COMP-2 ``float64``. A column is named
by the field's path (``GROUP.FIELD``, ``ITEMS[2].AMOUNT``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from legacy_connectors.flatfile.codec.columnar import Column, ColumnarDecoder, ColumnBlock, Slot
from legacy_connectors.flatfile.codec.convert import is_text
from legacy_connectors.flatfile.copybook.model import Usage

__all__ = ["arrow_fields", "arrow_type", "to_arrow"]


def arrow_type(slot: Slot, decoder: ColumnarDecoder) -> pa.DataType:
    """The Arrow type of a slot's values."""
    node = slot.node
    usage = node.usage or Usage.DISPLAY
    if decoder.options.date_format(node.name) is not None:
        return pa.date32()
    if usage in (Usage.FLOAT, Usage.DOUBLE):
        return pa.float64()
    pic = node.picture
    if pic is None or is_text(node):
        return pa.string()
    size = node.size
    if usage is Usage.PACKED:
        digits = 2 * size - 1
    elif usage is Usage.DISPLAY:
        digits = size
    else:
        digits = len(str(2 ** (8 * size)))
    scale = pic.scale if pic.is_decimal else 0
    if scale == 0 and digits <= 18:
        return pa.int64()
    if scale == 0 and usage not in (Usage.PACKED, Usage.DISPLAY) and size == 8:
        return pa.uint64() if not pic.signed else pa.int64()
    precision = max(digits, scale, 1) - min(scale, 0)
    if precision <= 38:
        return pa.decimal128(precision, max(scale, 0))
    return pa.decimal256(min(precision, 76), max(scale, 0))


def arrow_fields(decoder: ColumnarDecoder, prefix: str = "") -> list[pa.Field]:
    """The Arrow fields of a layout's slots, each name led by ``prefix``."""
    return [pa.field(prefix + s.name, arrow_type(s, decoder)) for s in decoder.slots]


def _array(column: Column, kind: pa.DataType, keep: np.ndarray[Any, Any]) -> pa.Array:
    null = column.null[keep]
    fast = not column.extra and column.kind != "object"
    if fast and column.kind in ("int", "date", "text") and not pa.types.is_decimal(kind):
        values = column.values[keep]
        if column.kind == "date":
            values = values.astype(np.int32)
        return pa.array(values, type=kind, mask=null)
    if fast and column.kind == "decimal" and pa.types.is_decimal128(kind):
        unscaled = column.values[keep].astype(np.int64)
        shift = kind.scale - column.scale
        if shift:
            unscaled = unscaled * 10**shift
        words = np.empty((len(unscaled), 2), dtype=np.int64)
        words[:, 0] = unscaled
        words[:, 1] = unscaled >> 63
        validity = pa.array(~null).buffers()[1] if null.any() else None
        return pa.Array.from_buffers(
            kind, len(unscaled), [validity, pa.py_buffer(words.tobytes())], int(null.sum())
        )
    rows = np.flatnonzero(keep)
    values = column.pylist(rows)
    return pa.array(values, type=kind)


def to_arrow(
    block: ColumnBlock, keep: np.ndarray[Any, Any] | None = None, prefix: str = ""
) -> pa.RecordBatch:
    """The block's records (those in ``keep``, default all that decoded) as an Arrow batch;
    a record decoded one by one contributes its values as the per-record path gave them."""
    decoder = block.decoder
    if keep is None:
        keep = ~block.failed()
    fields = arrow_fields(decoder, prefix)
    arrays = []
    for column, fld in zip(block.columns, fields, strict=True):
        if block.outcomes and decoder.columnar:
            column = _with_outcomes(column, block)
        arrays.append(_array(column, fld.type, keep))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _with_outcomes(column: Column, block: ColumnBlock) -> Column:
    """The column with the rows decoded one by one taken from their records (their bad
    fields null, the rest as decoded)."""
    from legacy_connectors.flatfile.codec.columnar import _pick

    extra = dict(column.extra)
    null = column.null.copy()
    for row, outcome in block.outcomes.items():
        if isinstance(outcome, dict):
            value = _pick(outcome, column.slot.keys)
            null[row] = value is None
            extra.pop(row, None)
            if value is not None:
                extra[row] = value
    if extra == column.extra and (null == column.null).all():
        return column
    return Column(column.slot, column.kind, column.scale, column.values, null, extra)
