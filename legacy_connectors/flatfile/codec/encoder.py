"""Encode records: nested dicts (the decoder's shape) back to bytes of a copybook layout."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import field_encoder
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.copybook.model import Field

__all__ = ["RecordEncoder", "encode_record"]


def _get(values: Mapping[str, Any], node: Field) -> tuple[bool, Any]:
    for name in (node.key, node.name, node.key.lower(), node.name.lower()):
        if name in values:
            return True, values[name]
    return False, None


class RecordEncoder:
    """Encodes values into records of one layout (an 01 level or any group)."""

    def __init__(self, root: Field, options: DecodeOptions) -> None:
        self.root = root
        self.options = options
        self._space = bytes([code_page(options.encoding).space])
        self._encoders = {
            id(n): field_encoder(n, options)
            for n in root.walk()
            if not n.children and not n.is_group
        }

    def encode(self, values: Mapping[str, Any]) -> bytes:
        """Bytes of one record; an ``OCCURS DEPENDING ON`` array sets its count field."""
        root = self.root
        size = root.size * (root.occurs or 1)
        buf = bytearray(self._space * size)
        counts = self._odo_counts(values)
        if root.children:
            base = self._group(root, values, buf, 0, counts)
        else:
            found, single = _get(values, root)
            self._elementary(root, single if found else None, buf, 0)
            base = 0
        end = base + root.offset + size
        return bytes(buf[:end])

    def _odo_counts(self, values: Mapping[str, Any]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.root.walk():
            if node.depending_on is None:
                continue
            items = self._find_list(self.root, values, node)
            counts[node.depending_on] = len(items) if items is not None else 0
        return counts

    def _find_list(self, parent: Field, values: Mapping[str, Any], target: Field) -> Any:
        for child in parent.children:
            if child is target:
                return _get(values, child)[1]
            if child.children and child.occurs is None and target in list(child.walk()):
                inner = values if child.is_filler else _get(values, child)[1]
                return self._find_list(child, inner or {}, target)
        return None

    def _elementary(self, node: Field, value: Any, buf: bytearray, pos: int) -> None:
        try:
            data = self._encoders[id(node)](value)
        except ValueError as exc:
            raise ValueError(f"{node.path()}: {exc}") from exc
        buf[pos : pos + len(data)] = data

    def _group(
        self,
        node: Field,
        values: Mapping[str, Any],
        buf: bytearray,
        base: int,
        counts: dict[str, int],
    ) -> int:
        done: set[str] = set()
        for child in node.children:
            value: Any
            if child.is_filler and child.children and child.occurs is None:
                found, value = True, values
            elif child.name in counts:
                found, value = True, counts[child.name]
            else:
                found, value = _get(values, child)
            if not found:
                continue
            alternative = child.redefines or child.name
            if alternative in done:
                continue
            done.add(alternative)
            base = self._item(child, value, buf, base, counts)
        return base

    def _item(
        self, node: Field, value: Any, buf: bytearray, base: int, counts: dict[str, int]
    ) -> int:
        if node.occurs is None:
            if node.children:
                return self._group(node, value or {}, buf, base, counts)
            self._elementary(node, value, buf, base + node.offset)
            return base
        items = list(value or [])
        limit = node.occurs
        if len(items) > limit:
            raise ValueError(f"{node.path()}: {len(items)} items, at most {limit} allowed")
        pos = base + node.offset
        for item in items:
            elem_base = pos - node.offset
            if node.children:
                elem_base = self._group(node, item or {}, buf, elem_base, counts)
            else:
                self._elementary(node, item, buf, pos)
            pos = elem_base + node.offset + node.size
        if node.depending_on is not None and self.options.variable_size_occurs:
            return pos - node.offset - node.total_size
        return base


@lru_cache(maxsize=64)
def _encoder(
    root: Field, encoding: str, dates: tuple[tuple[str, str], ...], variable: bool
) -> RecordEncoder:
    options = DecodeOptions(
        encoding=encoding, date_fields=dict(dates), variable_size_occurs=variable
    )
    return RecordEncoder(root, options)


def encode_record(
    layout: Field,
    values: Mapping[str, Any],
    encoding: str = "cp037",
    *,
    date_fields: Mapping[str, str] | None = None,
    variable_size_occurs: bool = True,
) -> bytes:
    """Encode ``values`` (names with ``_`` or ``-``) as one record of ``layout``."""
    dates = tuple(sorted((date_fields or {}).items()))
    return _encoder(layout, encoding, dates, variable_size_occurs).encode(values)
