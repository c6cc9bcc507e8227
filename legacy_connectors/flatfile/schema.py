"""A file's schema: the copybook's layouts compiled once, and how a record picks its layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from legacy_connectors.errors import ConfigurationError
from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import field_encoder, is_text
from legacy_connectors.flatfile.codec.decoder import RecordDecoder, compile_decoder
from legacy_connectors.flatfile.codec.options import DecodeOptions, normal_name
from legacy_connectors.flatfile.copybook.model import Copybook, Field
from legacy_connectors.flatfile.copybook.parser import load_copybook
from legacy_connectors.flatfile.errors import RecordDecodeError
from legacy_connectors.flatfile.settings import FlatFileSettings

__all__ = ["CorruptPolicy", "FileSchema", "decode_with_policy", "schema_from_settings"]

CorruptPolicy = Literal["fail_record", "null_fields"]


def decode_with_policy(
    decoder: RecordDecoder, record: bytes, policy: CorruptPolicy
) -> dict[str, Any]:
    """Decode one record; bad fields raise (``fail_record``) or become None and are listed."""
    if policy == "fail_record":
        return decoder.decode(record, _raise)
    corrupt: list[str] = []

    def collect(path: str, pos: int, reason: str) -> None:
        corrupt.append(path)

    values = decoder.decode(record, collect)
    if corrupt:
        values["_corrupt_fields"] = corrupt
    return values


def _raise(path: str, pos: int, reason: str) -> None:
    raise RecordDecodeError(reason, field=path, offset=pos)


def _find_in(root: Field, name: str) -> Field | None:
    wanted = normal_name(name)
    return next((n for n in root.walk() if n.name == wanted), None)


class FileSchema:
    """Compiled layouts of one copybook and the rule that gives each record its layout."""

    def __init__(
        self,
        copybook: Copybook,
        options: DecodeOptions,
        *,
        layout: str | None = None,
        segment_field: str | None = None,
        types: Mapping[str, str] | None = None,
        data_types: list[str] | None = None,
    ) -> None:
        self.copybook = copybook
        self.options = options
        self.roots: dict[str, Field] = {}
        self.branches: dict[str, Field] = {}
        self.segment: tuple[int, int] | None = None
        self.by_segment: dict[bytes, str] = {}
        self.segment_raw: dict[str, bytes] = {}
        self.data_layouts: list[str] = []
        if types:
            if segment_field is None:
                raise ConfigurationError("record_types needs a segment field")
            for name in types.values():
                node = self._root(name)
                top = node
                while top.parent is not None:
                    top = top.parent
                self.roots[self._layout_name(name)] = top
                if top is not node:
                    self.branches[self._layout_name(name)] = node
            self._segments(segment_field, types)
            wanted = data_types or list(types)
            self.data_layouts = [self._layout_name(types[v]) for v in wanted if v in types]
            self.data_values = list(wanted)
        else:
            root = copybook.record(layout) if layout else copybook.records[0]
            self.roots[root.name] = root
            self.data_layouts = [root.name]
            self.data_values = []
        self.decoders: dict[str, RecordDecoder] = {
            name: compile_decoder(root, options, self.branches.get(name))
            for name, root in self.roots.items()
        }

    def _layout_name(self, name: str) -> str:
        return normal_name(name)

    def _root(self, name: str) -> Field:
        try:
            return self.copybook.record(normal_name(name))
        except KeyError as exc:
            raise ConfigurationError(f"layout {name!r} is not in the copybook") from exc

    def _segments(self, segment_field: str, types: Mapping[str, str]) -> None:
        cp = code_page(self.options.encoding)
        where: set[tuple[int, int]] = set()
        node: Field | None = None
        for root in self.roots.values():
            node = _find_in(root, segment_field)
            if node is None:
                raise ConfigurationError(
                    f"segment field {segment_field!r} is not in layout {root.name}"
                )
            where.add((node.offset, node.size))
        if len(where) != 1 or node is None:
            raise ConfigurationError(
                f"segment field {segment_field!r} is not at the same offset in every layout"
            )
        self.segment = where.pop()
        size = self.segment[1]
        for value, name in types.items():
            if is_text(node):
                raw = cp.encode(value).ljust(size, bytes([cp.space]))
            else:
                raw = field_encoder(node, DecodeOptions(encoding=self.options.encoding))(int(value))
            self.by_segment[raw] = self._layout_name(name)
            self.segment_raw[value] = raw

    def layout_of(self, record: bytes) -> str | None:
        """The layout name of a record, or None when its segment value is unknown."""
        if self.segment is None:
            return next(iter(self.roots))
        off, size = self.segment
        return self.by_segment.get(record[off : off + size])

    def field(self, layout: str, name: str) -> Field:
        """A field of one layout, by name (in its REDEFINES branch first, if it has one)."""
        branch = self.branches.get(layout)
        node = _find_in(branch, name) if branch is not None else None
        node = node or _find_in(self.roots[layout], name)
        if node is None:
            raise ConfigurationError(f"field {name!r} is not in layout {layout}")
        return node

    def conditions(self, name: str) -> dict[str, list[Any]]:
        """Level-88 names of a field and the values each stands for (``THRU`` as tuples)."""
        node = self.copybook.find(name)
        return {cond.replace("-", "_"): list(values) for cond, values in node.conditions.items()}

    def decode(
        self, record: bytes, policy: CorruptPolicy = "fail_record", layout: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """(layout name, values) of one record."""
        name = layout or self.layout_of(record)
        if name is None:
            off, size = self.segment or (0, 0)
            raise RecordDecodeError(
                f"unknown record type 0x{record[off : off + size].hex().upper()}", offset=off
            )
        return name, decode_with_policy(self.decoders[name], record, policy)


def schema_from_settings(settings: FlatFileSettings) -> FileSchema:
    """Load the copybook named in ``settings`` and compile its layouts."""
    copybook = load_copybook(
        settings.copybook,
        source_format=settings.copybook_format,
        copybook_dirs=settings.copybook_dirs,
    )
    options = DecodeOptions(
        encoding=settings.encoding,
        trim=settings.trim,
        date_fields=dict(settings.date_fields),
        variable_size_occurs=settings.variable_size_occurs,
        condition_names=settings.condition_names,
        comp5_endian=settings.comp5_endian,
    )
    types = settings.record_types
    return FileSchema(
        copybook,
        options,
        layout=settings.layout,
        segment_field=types.field if types else None,
        types=types.types if types else None,
        data_types=list(types.data) if types and types.data else None,
    )
