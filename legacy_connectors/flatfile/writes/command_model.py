"""Settings of a flat-file source's write commands: a transaction record in an input file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from legacy_connectors.flatfile.codec.dates import DateFormat
from legacy_connectors.flatfile.files.framing import RecordFormat

__all__ = ["FlatFileCommand"]


class FlatFileCommand(BaseModel):
    """A write appended as one transaction record to the day's input batch file.

    The file ``<directory>/<file_prefix><YYMMDD>`` holds a header, the day's transaction
    records and a trailer whose record count is kept up to date. Each append writes a new file
    and renames it over the old one, so the file is always complete.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    copybook: Path
    """COBOL copybook of the input file (header, transaction and trailer layouts)."""
    copybook_dirs: list[Path] = Field(default_factory=list)
    """Folders searched for the copybook's ``COPY`` members after the copybook's own folder."""
    directory: Path
    """Folder of the daily input files (created when missing)."""
    file_prefix: str
    """Input file names are this prefix and the day as ``YYMMDD``."""
    recfm: RecordFormat = "FB"
    """Record format of the input file."""
    encoding: str = "cp037"
    """Code page of the input file."""
    segment_field: str
    """Field holding the record type, e.g. ``TX-TYPE``."""
    types: dict[str, str]
    """Record type value to layout name (header, transaction, trailer)."""
    data_type: str = "D"
    """Record type of transaction records."""
    header_type: str = "H"
    """Record type of the header record."""
    trailer_type: str = "T"
    """Record type of the trailer record."""
    header: dict[str, Any] = Field(default_factory=dict)
    """Fixed values of the header record by field name."""
    header_date_field: str | None = None
    """Header field given the file's date."""
    trailer_count_field: str
    """Trailer field holding the number of transaction records."""
    delivery_id_field: str
    """Transaction field holding the delivery id (the day's files are searched for it, so a
    delivery is appended once)."""
    received_date_field: str | None = None
    """Transaction field given the date the record was written."""
    date_fields: dict[str, DateFormat] = Field(default_factory=dict)
    """Field name to legacy date layout."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Transaction field to payload field (dotted path; a number selects a list item, e.g.
    ``address.lines.0``); a list fills an ``OCCURS`` field."""
