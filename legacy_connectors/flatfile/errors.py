"""Errors of the flat-file connector, each a subclass of the project's typed errors."""

from __future__ import annotations

from legacy_connectors.errors import ConfigurationError, CorruptRecordError, ProtocolError

__all__ = [
    "CopybookError",
    "FieldDecodeError",
    "FileIntegrityError",
    "RecordDecodeError",
]


class CopybookError(ConfigurationError):
    """The copybook cannot be parsed, or uses something the parser does not support."""

    def __init__(self, message: str, *, line: int = 0, column: int = 0, source: str = "") -> None:
        where = f"line {line}, column {column}: " if line else ""
        if source:
            where = f"{source}, {where}" if where else f"{source}: "
        super().__init__(f"copybook {where}{message}")
        self.line = line
        self.column = column
        self.source = source
        """File the line and column refer to (the copybook or a COPY member); may be empty."""


class FieldDecodeError(Exception):
    """One field's bytes are not a valid value of its type (internal: caught per field)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RecordDecodeError(CorruptRecordError):
    """A record could not be decoded: names the file, record number, byte offset and field."""

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        offset: int | None = None,
        record_number: int | None = None,
        file: str | None = None,
        service: str | None = None,
    ) -> None:
        parts = []
        if file is not None:
            parts.append(f"file {file}")
        if record_number is not None:
            parts.append(f"record {record_number}")
        if offset is not None:
            parts.append(f"byte offset {offset}")
        if field is not None:
            parts.append(f"field {field}")
        where = ", ".join(parts)
        message = f"corrupt record ({where}): {reason}" if where else f"corrupt record: {reason}"
        super().__init__(message, service=service)
        self.reason = reason
        self.field = field
        self.offset = offset
        self.record_number = record_number
        self.file = file

    def located(self, *, file: str, record_number: int, record_offset: int) -> RecordDecodeError:
        """Return a copy that also names the file, the record number and the file offset."""
        offset = record_offset + (self.offset or 0)
        return RecordDecodeError(
            self.reason,
            field=self.field,
            offset=offset,
            record_number=record_number,
            file=file,
            service=self.service,
        )


class FileIntegrityError(ProtocolError):
    """A whole file is unusable: truncated mid-record, bad framing or a failed trailer check."""

    code = "FILE_INTEGRITY"
