"""Columnar decoding: a block of records of one layout decoded field by field into typed columns.

Numbers become int64 columns (decimals keep their scale beside them), dates days since
1970-01-01, text numpy unicode; Python objects are built only for the records a caller asks
for. Values the vectorised kernels do not take at once (blanks, odd signs, wide fields, edited
pictures, floats) go through the per-field decoder, and a record with a field that fails is
decoded whole by the per-record decoder, so every record equals the per-record result. A layout
whose offsets move per record (``OCCURS DEPENDING ON``) or that adds level-88 names is decoded
record by record and only turned into columns afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.codepages import CodePage, code_page
from legacy_connectors.flatfile.codec.columns import (
    EPOCH_ORDINAL,
    MAX_FAST_DIGITS,
    Mask,
    Rows,
    binary_column,
    date_days,
    packed_column,
    text_column,
    zoned_column,
)
from legacy_connectors.flatfile.codec.convert import field_decoder, is_text, text_decoder
from legacy_connectors.flatfile.codec.decoder import RecordDecoder, branch_scope
from legacy_connectors.flatfile.codec.numeric import scaled
from legacy_connectors.flatfile.copybook.model import Field, Usage
from legacy_connectors.flatfile.errors import FieldDecodeError, RecordDecodeError

__all__ = ["Column", "ColumnBlock", "ColumnarDecoder", "Slot", "detached", "layout_slots"]

Kind = Literal["int", "decimal", "date", "text", "object"]
Policy = Literal["fail_record", "null_fields"]
Outcome = dict[str, Any] | RecordDecodeError


@dataclass(frozen=True, slots=True)
class Slot:
    """One elementary item occurrence of a layout: where it is and where its value goes."""

    node: Field
    offset: int
    name: str
    """Its path as errors name it: ``GROUP.FIELD``, ``ITEMS[2].AMOUNT``."""
    keys: tuple[str | int, ...]
    """Keys and list indices that reach its value in a decoded record."""
    quiet: bool
    """True in a REDEFINES alternative that is not decoded alone: bad bytes give None."""


@dataclass(slots=True)
class Column:
    """One slot's values over a block of records."""

    slot: Slot
    kind: Kind
    scale: int
    values: npt.NDArray[Any]
    null: Mask
    extra: dict[int, Any] = field(default_factory=dict)
    """Rows whose Python value the array cannot hold (kept as the per-field decoder gave it)."""

    def pylist(self, rows: npt.NDArray[np.intp] | None = None) -> list[Any]:
        """The values as the per-record decoder gives them (``rows`` only, when given)."""
        values = self.values if rows is None else self.values[rows]
        null = self.null if rows is None else self.null[rows]
        if self.kind == "object":
            out = list(values)
        else:
            raw = values.tolist()
            if self.kind == "decimal":
                scale = self.scale
                out = [scaled(v, scale) for v in raw]
            elif self.kind == "date":
                out = [date.fromordinal(v + EPOCH_ORDINAL) for v in raw]
            else:
                out = raw
        if null.any():
            for i in np.flatnonzero(null).tolist():
                out[i] = None
        if self.extra:
            positions = range(len(self.values)) if rows is None else rows.tolist()
            for i, row in enumerate(positions):
                if row in self.extra:
                    out[i] = self.extra[row]
        return out


def layout_slots(decoder: RecordDecoder) -> tuple[list[Slot], str]:
    """Every value slot of the decoder's layout (every OCCURS at its maximum), in decoding order,
    and the source of a function ``build(cols, n)`` that assembles ``n`` records from per-slot
    value lists exactly as the per-record decoder nests them."""
    root, branch = decoder.root, decoder.branch
    active, skip = (
        branch_scope(branch) if branch is not None and branch is not root else (set(), set())
    )
    slots: list[Slot] = []

    def leaf(node: Field, shift: int, name: str, keys: tuple[str | int, ...]) -> str:
        quiet = node.in_redefines and id(node) not in active
        slots.append(Slot(node, node.offset + shift, name, keys, quiet))
        return f"c{len(slots) - 1}[i]"

    def children(parent: Field, shift: int, name: str, keys: tuple[str | int, ...]) -> list[str]:
        entries: list[str] = []
        for child in parent.children:
            if id(child) in skip or (
                child.is_filler and (child.occurs is not None or not child.children)
            ):
                continue
            entries.extend(item(child, shift, name, keys))
        return entries

    def item(node: Field, shift: int, name: str, keys: tuple[str | int, ...]) -> list[str]:
        key = node.key
        mine = f"{name}.{key}" if name else key
        if node.occurs is None:
            if not node.children:
                return [f"{key!r}: {leaf(node, shift, mine, (*keys, key))}"]
            if node.is_filler:
                return children(node, shift, name, keys)
            inner = children(node, shift, mine, (*keys, key))
            return [f"{key!r}: {{{', '.join(inner)}}}"]
        elems = []
        for j in range(node.occurs):
            at, path = shift + j * node.size, (*keys, key, j)
            if node.children:
                elems.append("{" + ", ".join(children(node, at, f"{mine}[{j}]", path)) + "}")
            else:
                elems.append(leaf(node, at, f"{mine}[{j}]", path))
        return [f"{key!r}: [{', '.join(elems)}]"]

    entries = children(root, 0, "", ()) if root.children else item(root, 0, "", ())
    head = "".join(f"    c{k} = cols[{k}]\n" for k in range(len(slots)))
    source = f"def build(cols, n):\n{head}    return [{{{', '.join(entries)}}} for i in range(n)]\n"
    return slots, source


def columnar_supported(decoder: RecordDecoder) -> bool:
    """True when every field of the layout sits at a fixed offset and no condition names are
    added, so that a block can be decoded column by column."""
    nodes = list(decoder.root.walk())
    if any(n.depending_on is not None for n in nodes):
        return False
    return not (decoder.options.condition_names and any(n.conditions for n in nodes))


class ColumnarDecoder:
    """Decodes blocks of records of one layout into :class:`ColumnBlock`."""

    def __init__(self, decoder: RecordDecoder) -> None:
        self.decoder = decoder
        self.options = decoder.options
        self.cp: CodePage = code_page(decoder.options.encoding)
        self.columnar = columnar_supported(decoder)
        self.slots, source = layout_slots(decoder)
        namespace: dict[str, Any] = {}
        exec(compile(source, f"<columns {decoder.root.name}>", "exec"), namespace)
        self._build: Callable[[list[list[Any]], int], list[dict[str, Any]]] = namespace["build"]
        self.size = decoder.root.offset + decoder.root.total_size
        self._scalar = [field_decoder(s.node, self.options) for s in self.slots]

    def decode(self, records: Sequence[bytes] | Rows, policy: Policy) -> ColumnBlock:
        """Decode a block: ``records`` as an ``(n, width)`` uint8 array (each row at least the
        layout's size) or as a sequence of record bytes of any lengths."""
        if isinstance(records, np.ndarray) and self.columnar:
            return self._columns(records, policy)
        items = [bytes(r) for r in records]
        if self.columnar and items and all(len(r) >= self.size for r in items):
            rows = np.frombuffer(b"".join(r[: self.size] for r in items), dtype=np.uint8)
            return self._columns(rows.reshape(len(items), self.size), policy)
        outcomes = {i: self._reference(r, policy) for i, r in enumerate(items)}
        return self._from_records(outcomes, len(items))

    def records(self, records: Sequence[bytes], policy: Policy) -> list[Outcome]:
        """The records (or errors) of a block, as ``decode(records, policy).records()`` gives
        them, without the columns when they would only be read back from records decoded one
        by one (a layout that is not columnar, or records shorter than the layout)."""
        items = [bytes(r) for r in records]
        if self.columnar and items and all(len(r) >= self.size for r in items):
            return self.decode(items, policy).records()
        return [self._reference(r, policy) for r in items]

    def _reference(self, record: bytes, policy: Policy) -> Outcome:
        from legacy_connectors.flatfile.schema import decode_with_policy

        try:
            return decode_with_policy(self.decoder, record, policy)
        except RecordDecodeError as exc:
            return detached(exc)

    def _columns(self, rows: Rows, policy: Policy) -> ColumnBlock:
        n = rows.shape[0]
        columns: list[Column] = []
        failing = np.zeros(n, dtype=np.bool_)
        for k, slot in enumerate(self.slots):
            column, bad = self._column(k, slot, rows)
            if bad.any():
                column.null |= bad
                for row in np.flatnonzero(bad).tolist():
                    column.extra.pop(row, None)
                if not slot.quiet:
                    failing |= bad
            columns.append(column)
        outcomes = {
            row: self._reference(rows[row].tobytes(), policy)
            for row in np.flatnonzero(failing).tolist()
        }
        return ColumnBlock(self, n, columns, outcomes)

    def _column(self, k: int, slot: Slot, rows: Rows) -> tuple[Column, Mask]:
        node, off, n = slot.node, slot.offset, rows.shape[0]
        pic = node.picture
        usage = node.usage or Usage.DISPLAY
        fmt = self.options.date_format(node.name)
        if is_text(node) and fmt is None:
            text, nulls, ok = text_column(rows, off, node.size, self.cp, self.options.trim)
            column = Column(slot, "text", 0, text, nulls)
            scalar = text_decoder(self.cp, node.size, self.options.trim)
            for row in np.flatnonzero(~ok).tolist():
                value = scalar(rows[row].tobytes(), off)
                if not _store(column, row, value):
                    column.extra[row] = value
            return column, np.zeros(n, dtype=np.bool_)
        fast = _fast_numbers(node, usage)
        if pic is None or fast is None or (fmt is not None and pic.is_decimal):
            return self._objects(k, slot, rows)
        values, ok = fast(rows, off, self.cp, self.options)
        if fmt is not None:
            days, zero, valid = date_days(values, fmt)
            column = Column(slot, "date", 0, days, zero)
            ok &= valid
        else:
            kind: Kind = "decimal" if pic.is_decimal else "int"
            column = Column(slot, kind, pic.scale, values, np.zeros(n, dtype=np.bool_))
        bad = np.zeros(n, dtype=np.bool_)
        scalar = self._scalar[k]
        for row in np.flatnonzero(~ok).tolist():
            try:
                value = scalar(rows[row].tobytes(), off)
            except FieldDecodeError:
                bad[row] = True
                continue
            column.null[row] = value is None
            if value is not None and not _store(column, row, value):
                column.extra[row] = value
        return column, bad

    def _objects(self, k: int, slot: Slot, rows: Rows) -> tuple[Column, Mask]:
        n = rows.shape[0]
        values = np.empty(n, dtype=object)
        bad = np.zeros(n, dtype=np.bool_)
        scalar, off = self._scalar[k], slot.offset
        for row in range(n):
            try:
                values[row] = scalar(rows[row].tobytes(), off)
            except FieldDecodeError:
                bad[row] = True
        null = np.array([v is None for v in values], dtype=np.bool_)
        return Column(slot, "object", 0, values, null), bad

    def _from_records(self, outcomes: dict[int, Outcome], n: int) -> ColumnBlock:
        """A block decoded record by record, its columns read back from the records."""
        columns = []
        for slot in self.slots:
            values = np.empty(n, dtype=object)
            for row, outcome in outcomes.items():
                values[row] = _pick(outcome, slot.keys) if isinstance(outcome, dict) else None
            null = np.array([v is None for v in values], dtype=np.bool_)
            columns.append(Column(slot, "object", 0, values, null))
        return ColumnBlock(self, n, columns, outcomes)


def detached(exc: RecordDecodeError) -> RecordDecodeError:
    """The error without its traceback and context, which would keep the frames (and the
    file's mapped pages they hold) alive while the error is kept."""
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    return exc


def _store(column: Column, row: int, value: Any) -> bool:
    """Put a per-field decoder's value into the column's array when the array holds it
    exactly; False when it must stay a Python object."""
    kind = column.kind
    if kind == "int" and type(value) is int and -(2**63) <= value < 2**63:
        column.values[row] = value
    elif kind == "decimal" and isinstance(value, Decimal):
        unscaled = value.scaleb(column.scale)
        if unscaled != unscaled.to_integral_value():
            return False
        whole = int(unscaled)
        if not -(2**63) <= whole < 2**63 or str(scaled(whole, column.scale)) != str(value):
            return False
        column.values[row] = whole
    elif kind == "date" and isinstance(value, date):
        column.values[row] = value.toordinal() - EPOCH_ORDINAL
    elif kind == "text" and isinstance(value, str) and "\x00" not in value:
        column.values[row] = value
    else:
        return False
    return True


def _pick(record: dict[str, Any], keys: tuple[str | int, ...]) -> Any:
    value: Any = record
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return None
        elif not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


FastKernel = Callable[[Rows, int, CodePage, Any], tuple[npt.NDArray[np.int64], Mask]]


def _fast_numbers(node: Field, usage: Usage) -> FastKernel | None:
    """The vectorised kernel of a numeric item, or None when it has none (floats, edited and
    wide pictures, odd binary sizes)."""
    pic, size = node.picture, node.size
    if pic is None or pic.category != "numeric":
        return None
    signed = pic.signed
    if usage is Usage.DISPLAY:
        separate, leading = node.sign_separate, bool(node.sign_leading)
        if size - separate > MAX_FAST_DIGITS or size < 1 + separate:
            return None
        return lambda rows, off, cp, opts: zoned_column(
            rows, off, size, cp, signed=signed, leading=leading, separate=separate
        )
    if usage is Usage.PACKED:
        if 2 * size - 1 > MAX_FAST_DIGITS:
            return None
        return lambda rows, off, cp, opts: packed_column(rows, off, size, signed=signed)
    if usage in (Usage.FLOAT, Usage.DOUBLE) or size not in (1, 2, 4, 8):
        return None

    def binary(rows: Rows, off: int, cp: CodePage, opts: Any) -> tuple[Any, Mask]:
        if usage is Usage.BINARY_LE:
            big = False
        elif usage is Usage.NATIVE_BINARY:
            big = opts.comp5_endian == "big"
        else:
            big = True
        return binary_column(rows, off, size, signed=signed, big=big)

    return binary


@dataclass(slots=True)
class ColumnBlock:
    """A block of records of one layout as columns, plus the records decoded one by one."""

    decoder: ColumnarDecoder
    size: int
    columns: list[Column]
    outcomes: dict[int, Outcome]
    """Rows decoded by the per-record decoder (a field failed, or the layout is not columnar):
    the record (with ``_corrupt_fields`` under ``null_fields``) or its error."""

    def failed(self) -> Mask:
        """Rows that are errors (under ``fail_record``)."""
        out = np.zeros(self.size, dtype=np.bool_)
        for row, outcome in self.outcomes.items():
            if isinstance(outcome, RecordDecodeError):
                out[row] = True
        return out

    def records(self, rows: Sequence[int] | None = None) -> list[Outcome]:
        """The records (or errors) of ``rows`` (all rows when None), as the per-record path
        gives them."""
        picked = None if rows is None else np.asarray(rows, dtype=np.intp)
        count = self.size if picked is None else len(picked)
        wanted = range(self.size) if picked is None else picked.tolist()
        if self.decoder.columnar:
            cols = [c.pylist(picked) for c in self.columns]
            out: list[Outcome] = list(self.decoder._build(cols, count))
        else:
            out = [{} for _ in range(count)]
        if self.outcomes:
            for i, row in enumerate(wanted):
                if row in self.outcomes:
                    out[i] = self.outcomes[row]
        return out
