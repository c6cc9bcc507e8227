"""Writes into legacy systems: idempotent mutations and a durable outbox of deliveries.

``Outbox`` keeps, in the gateway store, one row per idempotent mutation, each reported change
of address and one delivery row per department; ``DeliveryWorker`` (started in the app's
lifespan) delivers due rows through each source's connector ``submit`` and retries failures
with backoff until they succeed; a department's refusal ends a delivery as ``FAILED`` for a
caseworker to retry or cancel (:mod:`govgraph.outbox.failed`).
"""

from __future__ import annotations

from govgraph.outbox.failed import (
    FailedDelivery,
    cancel_delivery,
    failed_deliveries,
    overdue,
    retry_delivery,
)
from govgraph.outbox.metrics import DeliveryMetrics
from govgraph.outbox.store import IdempotencyConflict, Outbox, OutboxError, new_id
from govgraph.outbox.types import (
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    RETRYING,
    AddressChange,
    Claim,
    Delivery,
    NewDelivery,
)
from govgraph.outbox.worker import DeliveryWorker, WorkerSettings, backoff_s

__all__ = [
    "CANCELLED",
    "DELIVERED",
    "FAILED",
    "PENDING",
    "RETRYING",
    "AddressChange",
    "Claim",
    "Delivery",
    "DeliveryMetrics",
    "DeliveryWorker",
    "FailedDelivery",
    "IdempotencyConflict",
    "NewDelivery",
    "Outbox",
    "OutboxError",
    "WorkerSettings",
    "backoff_s",
    "cancel_delivery",
    "failed_deliveries",
    "new_id",
    "overdue",
    "retry_delivery",
]
