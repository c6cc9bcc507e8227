"""Writes into legacy systems: idempotent mutations and a durable outbox of deliveries.

``Outbox`` keeps, in the gateway store, one row per idempotent mutation, each reported change
of address and one delivery row per department; ``DeliveryWorker`` (started in the app's
lifespan) delivers due rows through each source's connector ``submit`` and retries failures
with backoff until they succeed.
"""

from __future__ import annotations

from govgraph.outbox.store import IdempotencyConflict, Outbox, OutboxError, new_id
from govgraph.outbox.types import (
    DELIVERED,
    PENDING,
    RETRYING,
    AddressChange,
    Claim,
    Delivery,
    NewDelivery,
)
from govgraph.outbox.worker import DeliveryWorker, WorkerSettings, backoff_s

__all__ = [
    "DELIVERED",
    "PENDING",
    "RETRYING",
    "AddressChange",
    "Claim",
    "Delivery",
    "DeliveryWorker",
    "IdempotencyConflict",
    "NewDelivery",
    "Outbox",
    "OutboxError",
    "WorkerSettings",
    "backoff_s",
    "new_id",
]
