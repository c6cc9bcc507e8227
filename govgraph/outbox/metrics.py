"""Prometheus metrics of the delivery worker: refused deliveries and overdue ones."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["DeliveryMetrics"]


class DeliveryMetrics:
    """The worker's metrics, registered in the gateway's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.failed = Counter(
            "govgraph_deliveries_failed_total",
            "Deliveries a department refused (FAILED: not retried until a caseworker says so)",
            ["department"],
            registry=registry,
        )
        self.overdue = Gauge(
            "govgraph_deliveries_overdue",
            "Deliveries still retrying whose change was reported more than "
            "outbox.overdue_after_h hours ago (alert when above zero)",
            registry=registry,
        )
