"""Mainframe flat files: COBOL copybooks, EBCDIC or ASCII records, F/FB/V/VB framing.

- :func:`parse_copybook` / :func:`load_copybook` turn a copybook into layouts with offsets.
- :class:`FileSchema` compiles layouts into fast record decoders; :func:`encode_record` and
  :class:`RecordEncoder` write records back; :func:`write_records`, :func:`frame_records` and
  :func:`write_batch` (header, details, trailer) and :func:`append_records` write whole
  files.
- :class:`FlatFileConnector` (kind ``flatfile``) serves records by key from the newest valid
  generation of a file.
"""

from __future__ import annotations

from legacy_connectors.flatfile.codepages import CodePage, code_page
from legacy_connectors.flatfile.connector import FlatFileConnector
from legacy_connectors.flatfile.dates import DATE_FORMATS, date_to_number, number_to_date
from legacy_connectors.flatfile.decoder import RecordDecoder, compile_decoder
from legacy_connectors.flatfile.encoder import RecordEncoder, encode_record
from legacy_connectors.flatfile.errors import (
    CopybookError,
    FileIntegrityError,
    RecordDecodeError,
)
from legacy_connectors.flatfile.framing import Framing, detect_framing, record_spans
from legacy_connectors.flatfile.model import Copybook, Field, Usage
from legacy_connectors.flatfile.options import DecodeOptions
from legacy_connectors.flatfile.parser import load_copybook, parse_copybook
from legacy_connectors.flatfile.schema import FileSchema, decode_with_policy, schema_from_settings
from legacy_connectors.flatfile.settings import FlatFileSettings, RecordTypes, TrailerCheck
from legacy_connectors.flatfile.writer import (
    append_records,
    frame_records,
    write_atomic,
    write_batch,
    write_records,
)

__all__ = [
    "DATE_FORMATS",
    "CodePage",
    "Copybook",
    "CopybookError",
    "DecodeOptions",
    "Field",
    "FileIntegrityError",
    "FileSchema",
    "FlatFileConnector",
    "FlatFileSettings",
    "Framing",
    "RecordDecodeError",
    "RecordDecoder",
    "RecordEncoder",
    "RecordTypes",
    "TrailerCheck",
    "Usage",
    "append_records",
    "code_page",
    "compile_decoder",
    "date_to_number",
    "decode_with_policy",
    "detect_framing",
    "encode_record",
    "frame_records",
    "load_copybook",
    "number_to_date",
    "parse_copybook",
    "record_spans",
    "schema_from_settings",
    "write_atomic",
    "write_batch",
    "write_records",
]
