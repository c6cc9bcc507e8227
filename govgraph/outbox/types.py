"""The outbox's vocabulary: states, claims on mutations, changes and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "CANCELLED",
    "DELIVERED",
    "FAILED",
    "FINISHED",
    "PENDING",
    "RETRYING",
    "AddressChange",
    "Claim",
    "Delivery",
    "NewDelivery",
]

PENDING = "PENDING"
"""Not attempted yet (a mutation: still running)."""
RETRYING = "RETRYING"
"""Attempted and failed; tried again at ``next_attempt_at``."""
DELIVERED = "DELIVERED"
"""The department has the change (a mutation: finished, its result stored)."""
FAILED = "FAILED"
"""The department refused the change (asking again will not help): not tried again unless a
caseworker retries it."""
CANCELLED = "CANCELLED"
"""A caseworker cancelled a failed delivery: the department will not be told."""
FINISHED = (DELIVERED, FAILED, CANCELLED)
"""States the delivery worker never picks up."""


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of starting an idempotent mutation."""

    mutation_id: str
    fresh: bool
    """True: the caller runs the mutation. False: ``result`` is the first request's result."""
    result: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to plan: which source gets which command with which payload."""

    id: str
    """The delivery id the department deduplicates by."""
    department: str
    source: str
    command: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One department's copy of a change and how its delivery is going."""

    id: str
    change_id: str
    department: str
    source: str
    command: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    outcome: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AddressChange:
    """A change of address reported once, with one delivery per department."""

    id: str
    citizen_id: str
    address: dict[str, Any]
    created_at: datetime
    deliveries: list[Delivery] = field(default_factory=list)
