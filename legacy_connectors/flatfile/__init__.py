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

import typing

from legacy_connectors import lazy as _lazy

if typing.TYPE_CHECKING:
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
    from legacy_connectors.flatfile.schema import (
        FileSchema,
        decode_with_policy,
        schema_from_settings,
    )
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

__getattr__ = _lazy.lazy_exports(
    globals(),
    {
        "CodePage": "legacy_connectors.flatfile.codec.codepages",
        "code_page": "legacy_connectors.flatfile.codec.codepages",
        "DATE_FORMATS": "legacy_connectors.flatfile.codec.dates",
        "date_to_number": "legacy_connectors.flatfile.codec.dates",
        "number_to_date": "legacy_connectors.flatfile.codec.dates",
        "RecordDecoder": "legacy_connectors.flatfile.codec.decoder",
        "compile_decoder": "legacy_connectors.flatfile.codec.decoder",
        "RecordEncoder": "legacy_connectors.flatfile.codec.encoder",
        "encode_record": "legacy_connectors.flatfile.codec.encoder",
        "DecodeOptions": "legacy_connectors.flatfile.codec.options",
        "FlatFileConnector": "legacy_connectors.flatfile.connector",
        "Copybook": "legacy_connectors.flatfile.copybook.model",
        "Field": "legacy_connectors.flatfile.copybook.model",
        "Usage": "legacy_connectors.flatfile.copybook.model",
        "load_copybook": "legacy_connectors.flatfile.copybook.parser",
        "parse_copybook": "legacy_connectors.flatfile.copybook.parser",
        "CopybookError": "legacy_connectors.flatfile.errors",
        "FileIntegrityError": "legacy_connectors.flatfile.errors",
        "RecordDecodeError": "legacy_connectors.flatfile.errors",
        "Framing": "legacy_connectors.flatfile.files.framing",
        "detect_framing": "legacy_connectors.flatfile.files.framing",
        "record_spans": "legacy_connectors.flatfile.files.framing",
        "FileSchema": "legacy_connectors.flatfile.schema",
        "decode_with_policy": "legacy_connectors.flatfile.schema",
        "schema_from_settings": "legacy_connectors.flatfile.schema",
        "FlatFileSettings": "legacy_connectors.flatfile.settings",
        "RecordTypes": "legacy_connectors.flatfile.settings",
        "TrailerCheck": "legacy_connectors.flatfile.settings",
        "append_records": "legacy_connectors.flatfile.writes.writer",
        "frame_records": "legacy_connectors.flatfile.writes.writer",
        "write_atomic": "legacy_connectors.flatfile.writes.writer",
        "write_batch": "legacy_connectors.flatfile.writes.writer",
        "write_records": "legacy_connectors.flatfile.writes.writer",
    },
)
