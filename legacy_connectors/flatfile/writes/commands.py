"""Append a flat-file source's write commands to the day's input batch file, once per delivery.

The input file is read, the delivery ids of its transactions (and of the earlier days' files)
are checked, the new transaction is encoded from the payload (text that does not fit its
field or code page is refused, never cut or replaced) and the file is rewritten with the
trailer's count updated, through a temporary file and ``os.replace``. Appends to one folder
are serialised by a lock in the process and an exclusive ``flock`` on a lock file beside the
input files.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from legacy_connectors.base import Record
from legacy_connectors.errors import ConfigurationError, InvalidInputError, LegacyError
from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import field_encoder, is_text
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.copybook.model import Field
from legacy_connectors.flatfile.files.framing import detect_framing, record_spans
from legacy_connectors.flatfile.schema import FileSchema, schema_from_settings
from legacy_connectors.flatfile.settings import FlatFileSettings
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand
from legacy_connectors.flatfile.writes.writer import append_records, write_batch
from legacy_connectors.limits import unencodable
from legacy_connectors.payload import payload_value

__all__ = ["InputBatch", "input_settings"]


def input_settings(spec: FlatFileCommand, path: Path) -> FlatFileSettings:
    """Settings describing one input file of ``spec`` (used to encode, decode and append)."""
    return FlatFileSettings.model_validate(
        {
            "copybook": spec.copybook,
            "copybook_dirs": list(spec.copybook_dirs),
            "file": path,
            "recfm": spec.recfm,
            "encoding": spec.encoding,
            "record_types": {
                "field": spec.segment_field,
                "types": spec.types,
                "data": [spec.data_type],
            },
            "key_field": spec.delivery_id_field,
            "date_fields": dict(spec.date_fields),
            "trailer": {
                "record_type": spec.trailer_type,
                "count_field": spec.trailer_count_field,
            },
        }
    )


def _key(name: str) -> str:
    return name.replace("-", "_")


class InputBatch:
    """One command's daily input files."""

    def __init__(self, service: str, command: str, spec: FlatFileCommand) -> None:
        self.service = service
        self.command = command
        self.spec = spec
        self._lock = asyncio.Lock()
        self._schema: FileSchema | None = None

    def path_for(self, day: datetime) -> Path:
        """The input file of ``day``."""
        return self.spec.directory / f"{self.spec.file_prefix}{day:%y%m%d}"

    async def submit(self, payload: Mapping[str, Any], delivery_id: str) -> Record:
        """Append one transaction for ``delivery_id`` unless a day's file already holds it."""
        async with self._lock:
            try:
                return await asyncio.to_thread(self._submit, payload, delivery_id)
            except LegacyError as exc:
                raise exc.with_service(self.service) from None
            except OSError as exc:
                raise ConfigurationError(
                    f"{self.service}: command {self.command!r}: the input batch file cannot be "
                    "written",
                    service=self.service,
                    detail=f"{type(exc).__name__}: {exc.strerror}",
                ) from exc

    def _submit(self, payload: Mapping[str, Any], delivery_id: str) -> Record:
        now = datetime.now(UTC)
        path = self.path_for(now)
        settings = input_settings(self.spec, path)
        schema = self._schema or schema_from_settings(settings)
        self._schema = schema
        values = self._values(schema, payload, delivery_id, now)
        self.spec.directory.mkdir(parents=True, exist_ok=True)
        with open(self.spec.directory / f".{self.spec.file_prefix}lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if self._seen(schema, settings, delivery_id):
                    return {"outcome": "DUPLICATE", "file": path.name}
                if path.exists():
                    append_records(path, settings, [values], record_type=self.spec.data_type)
                else:
                    header = dict(self.spec.header)
                    if self.spec.header_date_field:
                        header[self.spec.header_date_field] = now.date()
                    header = {_key(k): v for k, v in header.items()}
                    write_batch(path, settings, [values], header=header)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        return {"outcome": "ACCEPTED", "file": path.name}

    def _values(
        self, schema: FileSchema, payload: Mapping[str, Any], delivery_id: str, now: datetime
    ) -> dict[str, Any]:
        spec = self.spec
        layout = schema.by_segment[schema.segment_raw[spec.data_type]]
        codec = code_page(spec.encoding).codec
        options = DecodeOptions(encoding=spec.encoding, date_fields=dict(spec.date_fields))
        self._check_fits(schema.field(layout, spec.delivery_id_field), delivery_id, options)
        values: dict[str, Any] = {_key(spec.delivery_id_field): delivery_id}
        if spec.received_date_field:
            values[_key(spec.received_date_field)] = now.date()
        for name, source in spec.fields.items():
            try:
                value = payload_value(payload, source)
            except KeyError:
                raise InvalidInputError(
                    f"{self.service}: command {self.command!r}: payload field {source!r} is missing"
                ) from None
            node = schema.field(layout, name)
            if is_text(node):
                if node.occurs:
                    items = [self._text(node, v, codec) for v in list(value)]
                    if len(items) > node.occurs:
                        raise InvalidInputError(
                            f"{self.service}: command {self.command!r}: field {node.name} "
                            f"holds {node.occurs} items, got {len(items)}"
                        )
                    value = items + [""] * (node.occurs - len(items))
                else:
                    value = self._text(node, value, codec)
            else:
                for item in list(value) if node.occurs else [value]:
                    self._check_fits(node, item, options)
            values[_key(name)] = value
        return values

    def _text(self, node: Field, value: Any, codec: str) -> str:
        """``value`` as the field's text, refused (``InvalidInputError`` naming the field and
        the characters, never the value) if it is longer than the field or holds characters
        the code page cannot: never cut short, never ``?``."""
        text = str(value or "")
        if len(text) > node.size:
            raise InvalidInputError(
                f"{self.service}: command {self.command!r}: field {node.name} holds "
                f"{node.size} characters, got {len(text)}"
            )
        bad = unencodable(text, codec)
        if bad:
            shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
            raise InvalidInputError(
                f"{self.service}: command {self.command!r}: field {node.name}: code page "
                f"{self.spec.encoding} cannot hold {shown}"
            )
        return text

    def _check_fits(self, node: Field, value: Any, options: DecodeOptions) -> None:
        """Raise ``InvalidInputError`` naming the field and the lengths (never the value) if
        ``value`` cannot be encoded in ``node``."""
        try:
            field_encoder(node, options)(value)
        except (ValueError, TypeError, ArithmeticError):
            expected = f"PIC {node.picture.text}" if node.picture else f"{node.size} bytes"
            raise InvalidInputError(
                f"{self.service}: command {self.command!r}: field {node.name} expects "
                f"{expected} ({node.size} positions), got a value of {len(str(value))} characters"
            ) from None

    def _seen(self, schema: FileSchema, settings: FlatFileSettings, delivery_id: str) -> bool:
        """Whether any of the command's input files holds a transaction for ``delivery_id``."""
        data_layout = schema.by_segment[schema.segment_raw[self.spec.data_type]]
        field = schema.field(data_layout, self.spec.delivery_id_field)
        start, size = field.offset, field.size
        codec = code_page(self.spec.encoding).codec
        wanted = delivery_id.encode(codec)[:size].ljust(size, " ".encode(codec))
        lrecl = max(root.size for root in schema.roots.values())
        for path in sorted(self.spec.directory.glob(f"{self.spec.file_prefix}*")):
            raw = path.read_bytes()
            framing = detect_framing(raw, settings.recfm, lrecl=lrecl)
            spans = record_spans(raw, framing)
            for offset, length in zip(spans.offsets, spans.lengths, strict=True):
                record = raw[offset : offset + length]
                if schema.layout_of(record) == data_layout and record[start : start + size] == (
                    wanted
                ):
                    return True
        return False
