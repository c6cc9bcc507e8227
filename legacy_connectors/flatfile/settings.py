"""Settings of a flat-file source (the ``[sources.NAME]`` options of kind ``flatfile``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from legacy_connectors.base import ConnectorSettings
from legacy_connectors.errors import LegacyError
from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.dates import DateFormat
from legacy_connectors.flatfile.codec.options import TrimPolicy
from legacy_connectors.flatfile.copybook.source import SourceFormat
from legacy_connectors.flatfile.files.framing import RecordFormat
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand

__all__ = ["FlatFileSettings", "RecordTypes", "TrailerCheck"]

_NESTED = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class RecordTypes(BaseModel):
    """Files with several record types, chosen by the value of a segment field."""

    model_config = _NESTED

    field: str
    """The segment field, e.g. ``REC-TYPE`` (it must sit at the same offset in every layout)."""
    types: dict[str, str]
    """Segment value -> layout name (an 01 level or any group), e.g. ``{"D": "BEN-DETAIL"}``."""
    data: list[str] = Field(default_factory=list)
    """Segment values whose records are served by key; empty means every type in ``types``
    whose layout holds the key field."""


class TrailerCheck(BaseModel):
    """File-level integrity check against a trailer record; a failure rejects the file."""

    model_config = _NESTED

    record_type: str | None = None
    """Segment value of the trailer record; None means the file's last record."""
    count_field: str | None = None
    """Trailer field holding the number of records counted."""
    count_includes: Literal["data", "all"] = "data"
    """Whether the count covers data records only or every record (header and trailer too)."""
    hash_field: str | None = None
    """Trailer field holding the hash total."""
    hash_of: str | None = None
    """Data-record field that the hash total sums, e.g. ``AWARD-AMOUNT``."""


class FlatFileSettings(ConnectorSettings):
    """Where the file is, how it is framed and encoded, and how records are keyed."""

    copybook: Path
    """COBOL copybook describing the records."""
    copybook_format: SourceFormat = "auto"
    """``fixed`` (columns 7-72), ``free``, or ``auto`` to detect it."""
    copybook_dirs: list[Path] = Field(default_factory=list)
    """Folders searched, in order, for the members of ``COPY`` statements, after the folder of
    the copybook (or member) holding the statement; members may be fixed or free format."""
    file: Path | None = None
    """One file to serve (re-read when it is replaced or changes)."""
    directory: Path | None = None
    """A directory of generation files; the newest by name that matches ``pattern`` is served."""
    pattern: str = "*"
    """Glob for generation files in ``directory``, e.g. ``BENEFITS.D*``."""
    poll_interval_s: float = Field(default=5.0, gt=0)
    """Seconds between checks for a new generation or a changed file."""
    recfm: RecordFormat = "F"
    """Record format: ``F``/``FB`` fixed, ``V`` (RDW), ``VB`` (BDW and RDW), ``D`` text lines."""
    lrecl: int | None = Field(default=None, gt=0)
    """Record length for F/FB; defaults to the largest layout's size."""
    rdw_endian: Literal["auto", "big", "little"] = "auto"
    """Byte order of RDW/BDW lengths; ``auto`` detects it."""
    rdw_includes_header: bool | None = None
    """Whether an RDW length counts its own 4 bytes; None detects it."""
    bdw_includes_header: bool | None = None
    """Whether a BDW length counts its own 4 bytes; None detects it."""
    encoding: str = "cp037"
    """Code page: ``cp037``, ``cp285``, ``cp500``, ``cp1047``, ``cp1140``, ``cp1146``, ``ascii``."""
    layout: str | None = None
    """Layout of every record when there is one record type (default: the first 01 level)."""
    record_types: RecordTypes | None = None
    """Several record types chosen by a segment field (header, detail, trailer)."""
    key_field: str
    """Field that ``load_many`` keys look up, e.g. ``NINO``."""
    many: bool = False
    """Several records per key: each result is a list (empty when none)."""
    date_fields: dict[str, DateFormat] = Field(default_factory=dict)
    """Field name -> legacy date layout; zero or LOW-VALUES dates become None."""
    trim: TrimPolicy = "both"
    """Spaces removed from text fields: ``none``, ``left``, ``right`` or ``both``."""
    corrupt_policy: Literal["fail_record", "null_fields"] = "fail_record"
    """A record with a bad field: ``fail_record`` gives that key a ``CorruptRecordError``;
    ``null_fields`` keeps it with the bad fields None, listed in ``_corrupt_fields``."""
    trailer: TrailerCheck | None = None
    """Trailer record count and hash total to check before a file is served."""
    variable_size_occurs: bool = True
    """OCCURS DEPENDING ON arrays take only their actual count's space (as COBOL writes)."""
    comp5_endian: Literal["big", "little"] = "big"
    """Byte order of COMP-5 fields (``little`` for files written by PC or Linux compilers)."""
    condition_names: bool = False
    """Add ``<FIELD>_CONDITION`` (the matching level-88 name, or None) beside such fields."""
    commands: dict[str, FlatFileCommand] = Field(default_factory=dict)
    """Write commands by name (``submit``): a transaction record appended to an input file."""

    @field_validator("encoding")
    @classmethod
    def _known_code_page(cls, value: str) -> str:
        try:
            code_page(value)
        except LegacyError as exc:
            raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FlatFileSettings:
        if (self.file is None) == (self.directory is None):
            raise ValueError("set exactly one of 'file' and 'directory'")
        types = self.record_types
        if types is not None:
            unknown = [v for v in types.data if v not in types.types]
            if unknown:
                raise ValueError(f"record_types.data {unknown} are not keys of record_types.types")
            trailer_type = self.trailer.record_type if self.trailer else None
            if trailer_type is not None and trailer_type not in types.types:
                raise ValueError(
                    f"trailer.record_type {trailer_type!r} is not in record_types.types"
                )
        return self
