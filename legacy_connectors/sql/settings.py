"""Settings of the ``sql`` connector kind: where the databases are and how their tables map.

A mapping names a legacy table and gives each readable field the legacy column(s) it comes from
and the converter that turns the stored value into a Python value. A source is either one
database (``url``) or a set of databases (``databases``) queried in parallel; each database may
use its own mapping (``mappings`` by name) when the set's schemas differ.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from legacy_connectors.base import ConnectorSettings
from legacy_connectors.sql.commands import SqlCommand

__all__ = [
    "ChangeTracking",
    "ChildMapping",
    "ColumnSpec",
    "ConverterName",
    "DatabaseSettings",
    "KeySpec",
    "KeyTransform",
    "SqlSettings",
    "TableMapping",
]

ConverterName = Literal[
    "str", "char", "int", "decimal", "date", "datetime", "cyymmdd", "yyyymmdd", "code"
]
KeyTransform = Literal["strip", "upper", "lower", "remove_spaces"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class ColumnSpec(_Model):
    """How one readable field is read from the legacy table."""

    column: str | list[str]
    """The legacy column, or several columns joined by ``format`` into one value."""
    type: ConverterName = "str"
    """Converter: ``char`` (trailing pad removed, empty is ``None``), ``int``, ``decimal``,
    ``date``/``datetime`` (native, or text read with ``format``), ``cyymmdd`` (century digit,
    0 for 19xx, then YYMMDD; 0 is ``None``), ``yyyymmdd`` (integer or text), ``code`` (mapped
    through ``values``)."""
    format: str | None = None
    """For ``date``/``datetime`` stored as text: a ``strptime`` format. For several columns: a
    ``str.format`` template receiving the columns' values in order, e.g. ``"{}{:08d}"``."""
    scale: int = Field(default=0, ge=0, le=6)
    """For ``decimal``: the stored integer is in units of 10**-scale (2 for pence)."""
    values: dict[str, str] | None = None
    """For ``code``: stored code (trimmed, as text) to readable value."""
    pattern: str | None = None
    """Optional regular expression applied to the text value (after trimming), with ``replace``."""
    replace: str = ""
    """Replacement for ``pattern`` (``\\1`` refers to groups)."""

    @model_validator(mode="after")
    def _check(self) -> ColumnSpec:
        if self.type == "code" and not self.values:
            raise ValueError("type 'code' needs 'values' (a map of stored code to value)")
        if isinstance(self.column, list) and not self.format:
            raise ValueError("several columns need 'format' to join them")
        return self


class KeySpec(_Model):
    """The column a lookup key is matched against, and how keys are normalised."""

    column: str
    """The legacy key column."""
    length: int | None = Field(default=None, gt=0)
    """For ``CHAR(n)`` keys: the padded width (keys are padded to it when compared)."""
    transforms: list[KeyTransform] = Field(default_factory=lambda: list[KeyTransform](["strip"]))
    """Applied in order to requested keys and to stored keys before they are matched."""
    pattern: str | None = None
    """Optional regular expression applied after ``transforms`` (with ``replace``)."""
    replace: str = ""
    """Replacement for ``pattern``."""


class ChildMapping(_Model):
    """A collection of child rows attached to each record (e.g. applications of a passport)."""

    table: str
    """The legacy child table."""
    join: dict[str, str]
    """Parent column to child column (one pair)."""
    columns: dict[str, ColumnSpec]
    """Readable field name to column spec, as for the main table."""
    order_by: list[str] = Field(default_factory=list)
    """Child columns to sort each collection by (append `` desc`` for descending)."""

    @model_validator(mode="after")
    def _check(self) -> ChildMapping:
        if len(self.join) != 1:
            raise ValueError(f"join must map exactly one parent column, got {len(self.join)}")
        return self


class ChangeTracking(_Model):
    """Where the legacy system records that a row of the main table changed (the change feed).

    ``column`` must be raised on every insert and update of a row to a value above every value
    given out before, in the order writes commit: a row version drawn from one counter that
    writers update in their own transaction (a trigger, as the fixtures' databases do), not a
    timestamp or a database sequence, which concurrent writers can commit out of order. Rows
    of child tables count only when their change raises the parent row's version.
    """

    column: str
    """The main table's integer row-version column (index it: the feed reads ``> cursor``)."""
    removals_table: str | None = None
    """A table holding one row per removed main-table row: its key and the version of the
    removal, from the same counter (kept by a delete trigger). Without it the feed lists no
    removals: a removed record is noticed by the next full read."""
    removals_key_column: str | None = None
    """The removals table's key column (default: the main table's key column name)."""
    removals_column: str | None = None
    """The removals table's version column (default: ``column``)."""


class TableMapping(_Model):
    """Readable records over one legacy table."""

    table: str
    """The legacy main table."""
    db_schema: str | None = None
    """Database schema (namespace) holding the tables, when not the default."""
    key: KeySpec
    """The lookup key column."""
    columns: dict[str, ColumnSpec]
    """Readable field name to column spec."""
    children: dict[str, ChildMapping] = Field(default_factory=dict)
    """Readable collection name to child mapping."""
    order_by: list[str] = Field(default_factory=list)
    """Main-table columns to sort records of one key by (``many`` sources)."""
    key_field: str | None = None
    """Readable field whose value is the key ``scan`` reports (default: the stored key as
    normalised by ``key``); lets databases that store a key differently agree on one form."""
    changes: ChangeTracking | None = None
    """The row-version column (and removals table) the change feed reads; a source whose
    mappings all set it offers ``changes()``."""


class DatabaseSettings(_Model):
    """One database in a set of databases (e.g. one council's parking system)."""

    name: str
    """Short name; errors name ``<source>/<name>`` as their service."""
    url: str
    """SQLAlchemy URL (sync or async form; the async driver is chosen)."""
    label: str | None = None
    """Value of ``source_field`` in this database's records (default: ``name``)."""
    mapping: str | None = None
    """Name of an entry of ``mappings`` (default: the source's ``mapping``)."""


class SqlSettings(ConnectorSettings):
    """Settings of a SQL source: one database or a set, with explicit table mappings."""

    url: str | None = None
    """SQLAlchemy URL of the single database (or use ``databases``)."""
    databases: list[DatabaseSettings] = Field(default_factory=list)
    """A set of databases queried in parallel and merged (or use ``url``)."""
    mapping: TableMapping | None = None
    """The table mapping used by ``url`` and by databases naming no mapping."""
    mappings: dict[str, TableMapping] = Field(default_factory=dict)
    """Named mappings that databases of a set refer to by ``mapping``."""
    many: bool = False
    """Whether a key may have many records (results are lists; ``[]`` when none)."""
    source_field: str | None = None
    """Record field that carries the label of the database the record came from."""
    pool_size: int = Field(default=5, ge=1, le=100)
    """Connections kept per database."""
    pool_timeout_s: float = Field(default=10.0, gt=0)
    """How long to wait for a free pooled connection."""
    connect_timeout_s: float = Field(default=5.0, gt=0)
    """How long to wait for a new connection (server engines)."""
    statement_timeout_ms: int = Field(default=5000, ge=0)
    """Statement timeout: server-side on PostgreSQL and MariaDB/MySQL; on SQLite a batch read
    still running after it is interrupted. 0 disables it."""
    scan_statement_timeout_ms: int = Field(default=55_000, ge=0)
    """Statement timeout of a whole-source read (``scan``, for linkage and statistics): its
    pages are bounded by the gateway's ``scan_page_timeout_s`` (default 60 s), not by a
    request's ``statement_timeout_ms``; keep it below that page deadline so the database stops a
    statement first. 0 disables it."""
    read_only: bool = True
    """Open read-only sessions (SQLite ``query_only``, PostgreSQL and MariaDB read-only)."""
    chunk_size: int | None = Field(default=None, gt=0)
    """Keys per ``IN`` list; default and maximum are below the engine's bound-parameter limit."""
    commands: dict[str, SqlCommand] = Field(default_factory=dict)
    """Write commands by name (``submit``), run on a separate read-write pool."""

    @model_validator(mode="after")
    def _check(self) -> SqlSettings:
        if (self.url is None) == (not self.databases):
            raise ValueError("give exactly one of 'url' or 'databases'")
        names = [db.name for db in self.databases]
        if len(set(names)) != len(names):
            raise ValueError(f"database names must be unique, got {names}")
        for db in self.databases:
            if db.mapping is not None and db.mapping not in self.mappings:
                raise ValueError(
                    f"database {db.name!r}: mapping {db.mapping!r} is not in 'mappings' "
                    f"(known: {sorted(self.mappings)})"
                )
            if db.mapping is None and self.mapping is None:
                raise ValueError(f"database {db.name!r} names no mapping and 'mapping' is unset")
        if self.url is not None and self.mapping is None:
            raise ValueError("'url' needs 'mapping'")
        return self

    def targets(self) -> list[tuple[str, str, str | None, TableMapping]]:
        """Each database as ``(name, url, label, mapping)``; a single ``url`` is named ``main``."""
        if self.url is not None:
            assert self.mapping is not None
            return [("main", self.url, None, self.mapping)]
        result: list[tuple[str, str, str | None, TableMapping]] = []
        for db in self.databases:
            mapping = self.mappings[db.mapping] if db.mapping else self.mapping
            assert mapping is not None
            result.append((db.name, db.url, db.label or db.name, mapping))
        return result
