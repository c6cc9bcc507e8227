"""The outbox's tables in the gateway store: idempotent mutations, address changes, deliveries."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["address_changes", "deliveries", "metadata", "mutations"]

metadata = MetaData()

mutations = Table(
    "gg_mutations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("citizen_id", String(32), nullable=False),
    Column("operation", String(40), nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(12), nullable=False),
    Column("result", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint(
        "citizen_id", "operation", "idempotency_key", name="uq_gg_mutations_idempotency"
    ),
)
"""One row per (citizen, operation, idempotency key): the unique constraint decides which of
concurrent identical requests runs; ``result`` (JSON) is what every later request gets back."""

address_changes = Table(
    "gg_address_changes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("citizen_id", String(32), nullable=False),
    Column("mutation_id", String(32), nullable=False, unique=True),
    Column("address", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_gg_address_changes_citizen", "citizen_id", "created_at"),
)
"""A change of address the citizen reported once (``address`` is JSON)."""

deliveries = Table(
    "gg_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("change_id", String(32), nullable=False),
    Column("department", String(40), nullable=False),
    Column("source", String(40), nullable=False),
    Column("command", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(400), nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Index("ix_gg_deliveries_due", "status", "next_attempt_at"),
    Index("ix_gg_deliveries_change", "change_id"),
)
"""One department's copy of a change: its id is the delivery id the department deduplicates
by; ``status`` is ``PENDING``, ``RETRYING``, ``DELIVERED``, ``FAILED`` (refused by the
department; kept until a caseworker retries or cancels it) or ``CANCELLED``."""
