"""What a flat-file source's write command can hold, read from its copybook and code page."""

from __future__ import annotations

from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import is_text
from legacy_connectors.flatfile.schema import schema_from_settings
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand
from legacy_connectors.flatfile.writes.commands import input_settings
from legacy_connectors.limits import FieldLimit

__all__ = ["command_limits"]


def command_limits(spec: FlatFileCommand) -> list[FieldLimit]:
    """One limit per text field of the transaction record: its ``PIC X(n)`` width (per item
    of an ``OCCURS``, which bounds the items) and the file's code page."""
    settings = input_settings(spec, spec.directory / f"{spec.file_prefix}000000")
    schema = schema_from_settings(settings)
    layout = schema.by_segment[schema.segment_raw[spec.data_type]]
    limits = []
    for name, path in spec.fields.items():
        node = schema.field(layout, name)
        if not is_text(node):
            continue
        picture = f"PIC {node.picture.text}" if node.picture else f"{node.size} bytes"
        limits.append(
            FieldLimit(
                path=path,
                max_length=node.size,
                charset=code_page(spec.encoding).codec,
                max_items=node.occurs or None,
                origin=f"{spec.copybook.name} {node.name} {picture}",
            )
        )
    return limits
