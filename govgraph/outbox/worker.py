"""The delivery worker: runs inside the gateway, delivers due outbox rows, retries with backoff.

Each pass claims due deliveries (leased, so after a crash they are claimed again once the lease
has run out), calls the source's connector ``submit`` with the delivery id through the source's
policy (breaker, bulkhead, deadline; a write is attempted once per call), and records the
outcome. A department's refusal (invalid input, or a record it does not hold: asking again
will not help) ends the delivery as ``FAILED`` with the reason, counted in
``govgraph_deliveries_failed_total``, until a caseworker retries or cancels it. Any other
failure is retried after an exponential backoff (capped at ``backoff_max_s``), for as long as
it takes: receivers deduplicate by delivery id, so delivering again is harmless; deliveries
still retrying ``overdue_after_h`` hours after the change was reported are counted in
``govgraph_deliveries_overdue``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from govgraph.outbox.failed import overdue
from govgraph.outbox.metrics import DeliveryMetrics
from govgraph.outbox.store import Outbox
from govgraph.outbox.types import Delivery
from legacy_connectors.errors import InvalidInputError, LegacyError, RecordError

__all__ = ["DeliveryWorker", "WorkerSettings", "backoff_s"]

log = logging.getLogger("govgraph.outbox")


class WritableSource(Protocol):
    """What the worker needs of a gateway source."""

    async def submit(
        self, command: str, payload: Mapping[str, Any], *, delivery_id: str
    ) -> Mapping[str, Any]: ...

    def forget(self, keys: Sequence[str]) -> None: ...


class WorkerSettings(BaseModel):
    """How the delivery worker paces itself (``[outbox]`` in ``govgraph.toml``; like every key,
    overridable by environment, e.g. ``GOVGRAPH__OUTBOX__POLL_S``)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    run_worker: bool = True
    """Run the delivery worker in this process. Every replica may run one (leases keep them
    apart); a deployment with a separate worker sets it ``false`` on the serving replicas."""
    poll_s: float = Field(default=0.5, gt=0)
    """Seconds between passes when nothing is due."""
    lease_s: float = Field(default=60.0, gt=0)
    """How long a claimed delivery is left to this worker before another may take it (and
    before a delivery claimed by a gateway that died is tried again)."""
    backoff_initial_s: float = Field(default=1.0, gt=0)
    """Wait before the first retry; doubled after each further failure."""
    backoff_max_s: float = Field(default=300.0, gt=0)
    """Longest wait between retries."""
    delay_s: float = Field(default=0.0, ge=0)
    """Pause before each delivery (makes a fan-out observable in demonstrations and tests)."""
    hold_s: float = Field(default=0.0, ge=0)
    """Pause between a department's answer and recording it (widens, for tests, the window in
    which a crash leaves a delivery done but not recorded, so it is sent again)."""
    concurrency: int = Field(default=4, ge=1)
    """Deliveries in flight at once (each claimed on its own)."""
    overdue_after_h: float = Field(default=24.0, gt=0)
    """Hours after which a change's delivery still retrying counts as overdue (the
    ``govgraph_deliveries_overdue`` gauge: alert when it is above zero)."""
    overdue_check_s: float = Field(default=60.0, gt=0)
    """Seconds between recounts of overdue deliveries."""


def backoff_s(attempts: int, settings: WorkerSettings) -> float:
    """The wait after the ``attempts``-th failed attempt (1 for the first)."""
    return float(min(settings.backoff_max_s, settings.backoff_initial_s * 2 ** (attempts - 1)))


class DeliveryWorker:
    """Delivers the outbox's due deliveries until stopped."""

    def __init__(
        self,
        outbox: Outbox,
        sources: Mapping[str, WritableSource],
        settings: WorkerSettings | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self.outbox = outbox
        self.sources = sources
        self.settings = settings or WorkerSettings()
        self.metrics = metrics
        self._overdue_checked = 0.0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.delivered = 0
        """Deliveries completed since start (for tests and metrics)."""

    def start(self) -> None:
        """Start the worker's loop as a task of the running event loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="govgraph-outbox-worker")

    def wake(self) -> None:
        """Look for due deliveries now (called after a change is recorded)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the delivery in progress (claims left unfinished expire)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception as exc:
                log.error("outbox pass failed: %s", type(exc).__name__)
                worked = 0
            if worked:
                continue
            await self._count_overdue()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_s)

    async def run_once(self) -> int:
        """One pass: claim up to ``concurrency`` due deliveries and deliver them together."""
        due = await self.outbox.claim_due(max(1, self.settings.concurrency))
        await asyncio.gather(*(self.deliver(delivery) for delivery in due))
        return len(due)

    async def deliver(self, delivery: Delivery) -> None:
        """Attempt one delivery and record the outcome."""
        if self.settings.delay_s:
            await asyncio.sleep(self.settings.delay_s)
        source = self.sources.get(delivery.source)
        if source is None:
            await self._failed(delivery, f"source {delivery.source!r} is not configured")
            return
        log.info(
            "delivering %s to %s (attempt %d)",
            delivery.id,
            delivery.department,
            delivery.attempts + 1,
        )
        try:
            answer = await source.submit(
                delivery.command, delivery.payload, delivery_id=delivery.id
            )
        except (InvalidInputError, RecordError) as exc:
            await self._refused(delivery, f"{exc.code}: {exc.message}")
            return
        except LegacyError as exc:
            await self._failed(delivery, f"{exc.code}: {exc.message}")
            return
        except NotImplementedError:
            await self._refused(delivery, f"source {delivery.source!r} cannot take this change")
            return
        outcome = str(answer.get("outcome", "ACCEPTED")) if isinstance(answer, dict) else "ACCEPTED"
        if self.settings.hold_s:
            await asyncio.sleep(self.settings.hold_s)
        await self.outbox.mark_delivered(delivery.id, outcome)
        source.forget([str(k) for k in delivery.payload.get("keys", [])])
        self.delivered += 1
        log.info("delivered %s to %s (%s)", delivery.id, delivery.department, outcome)

    async def _refused(self, delivery: Delivery, error: str) -> None:
        await self.outbox.mark_refused(delivery.id, error)
        if self.metrics is not None:
            self.metrics.failed.labels(department=delivery.department).inc()
        log.warning(
            "delivery %s to %s refused (attempt %d), not retried: %s",
            delivery.id,
            delivery.department,
            delivery.attempts + 1,
            error,
        )

    async def _count_overdue(self) -> None:
        """Recount overdue deliveries, at most every ``overdue_check_s``."""
        if self.metrics is None:
            return
        now = time.monotonic()
        if self._overdue_checked and now - self._overdue_checked < self.settings.overdue_check_s:
            return
        self._overdue_checked = now
        older = timedelta(hours=self.settings.overdue_after_h)
        self.metrics.overdue.set(await overdue(self.outbox, older))

    async def _failed(self, delivery: Delivery, error: str) -> None:
        wait = backoff_s(delivery.attempts + 1, self.settings)
        await self.outbox.mark_failed(delivery.id, error, wait)
        log.warning(
            "delivery %s to %s failed (attempt %d), retry in %.1f s: %s",
            delivery.id,
            delivery.department,
            delivery.attempts + 1,
            wait,
            error,
        )
