"""The access ledger's tables: one row per read of a citizen's data, and the chain's head."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, text

__all__ = ["entries", "head", "metadata"]

metadata = MetaData()

entries = Table(
    "gg_access_ledger",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("at", String(32), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("purpose", String(64), nullable=True),
    Column("citizen_id", String(64), nullable=False),
    Column("sources", Text, nullable=False),
    Column("field_groups", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("form", Integer, nullable=False, server_default=text("1")),
    Index("ix_gg_access_ledger_citizen", "citizen_id", "seq"),
)
"""Append-only: rows are inserted with the next ``seq`` and never updated or deleted.
``form`` is the canonical form the row is stored and hashed in (:mod:`govgraph.ledger.chain`);
``sources`` and ``field_groups`` hold their lists in that form. A ledger created before the
column existed gets it on open, with form 1 for its existing rows."""

head = Table(
    "gg_access_ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""One row (``id = 1``): the last entry's ``seq`` and ``hash``, so a dropped tail shows."""
