"""Mainframe flat files: COBOL copybooks, EBCDIC or ASCII records, F/FB/V/VB framing.

- ``copybook/``: :func:`parse_copybook` / :func:`load_copybook` turn a copybook (COPY members
  expanded) into layouts with offsets.
- ``codec/``: code pages, zoned/packed/binary numbers, dates; :func:`compile_decoder` and
  :class:`RecordEncoder` / :func:`encode_record` turn records to values and back.
- ``files/``: framing (:func:`detect_framing`, :func:`record_spans`), loaded generations
  checked against their trailer, the key index, whole-file readers.
- ``writes/``: :func:`write_records`, :func:`frame_records`, :func:`write_batch` (header,
  details, trailer) and :func:`append_records` write whole files; write commands append
  transaction records to an input batch.
- :class:`FileSchema` compiles a copybook's layouts; :class:`FlatFileConnector` (kind
  ``flatfile``) serves records by key from the newest valid generation of a file.
"""

from __future__ import annotations

from legacy_connectors.flatfile.codec.codepages import CodePage, code_page
from legacy_connectors.flatfile.codec.dates import DATE_FORMATS, date_to_number, number_to_date
from legacy_connectors.flatfile.codec.decoder import RecordDecoder, compile_decoder
from legacy_connectors.flatfile.codec.encoder import RecordEncoder, encode_record
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.connector import FlatFileConnector
from legacy_connectors.flatfile.copybook.model import Copybook, Field, Usage
from legacy_connectors.flatfile.copybook.parser import load_copybook, parse_copybook
from legacy_connectors.flatfile.errors import (
    CopybookError,
    FileIntegrityError,
    RecordDecodeError,
)
from legacy_connectors.flatfile.files.framing import Framing, detect_framing, record_spans
from legacy_connectors.flatfile.schema import FileSchema, decode_with_policy, schema_from_settings
from legacy_connectors.flatfile.settings import FlatFileSettings, RecordTypes, TrailerCheck
from legacy_connectors.flatfile.writes.writer import (
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
