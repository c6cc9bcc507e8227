"""The citizen index's tables (SQLAlchemy Core): citizens, links and reviews."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["citizens", "links", "metadata", "reviews"]

metadata = MetaData()

citizens = Table(
    "gg_citizens",
    metadata,
    Column("citizen_id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("given_name", String(100), nullable=False, default=""),
    Column("middle_names", String(200), nullable=False, default=""),
    Column("surname", String(100), nullable=False, default=""),
    Column("date_of_birth", Date, nullable=True),
    Column("address_lines", Text, nullable=False, default=""),
    Column("town", String(100), nullable=False, default=""),
    Column("postcode", String(10), nullable=False, default=""),
    Column("profile_source", String(40), nullable=False, default=""),
    Column("status", String(12), nullable=False, default="active"),
    Index("ix_gg_citizens_status", "status", "citizen_id"),
)
"""One row per citizen: the opaque id and the display identity from the most trusted source.
``address_lines`` holds the lines joined by newlines; ``status`` is ``active`` while the citizen
has an active link and ``dormant`` once every link is withdrawn (the id is never reused)."""

links = Table(
    "gg_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("citizen_id", String(32), nullable=False),
    Column("source", String(40), nullable=False),
    Column("key", String(64), nullable=False),
    Column("method", String(60), nullable=False),
    Column("score", Float, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("model_version", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("citizen_id", "source", "key", name="uq_gg_links_citizen_source_key"),
    Index("ix_gg_links_source_key", "source", "key", "status"),
)
"""One department key linked to one citizen, with how, how confidently and whether still held.
The unique (citizen, source, key) index also serves reads by citizen."""

reviews = Table(
    "gg_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("key", String(64), nullable=False),
    Column("candidate_source", String(40), nullable=False),
    Column("candidate_key", String(64), nullable=False),
    Column("candidate_citizen_id", String(32), nullable=True),
    Column("score", Float, nullable=False),
    Column("reason", String(400), nullable=False),
    Column("model_version", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Index("ix_gg_reviews_status", "status", "id"),
    Index("ix_gg_reviews_source_key", "source", "key"),
)
"""Candidate links the linker would not decide, kept with the reason for a caseworker."""
