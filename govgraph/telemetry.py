"""Prometheus metrics of one gateway instance (a registry per app, so tests stay independent)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The gateway's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "govgraph_requests_total",
            "GraphQL requests by operation name and outcome.",
            ["operation", "outcome"],
            registry=r,
        )
        self.request_latency = Histogram(
            "govgraph_request_duration_seconds",
            "GraphQL request latency by operation name.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.client_disconnects = Counter(
            "govgraph_client_disconnects_total",
            "GraphQL requests whose client disconnected before its request body was read.",
            registry=r,
        )
        self.upstream_calls = Counter(
            "govgraph_upstream_calls",
            "Batch calls made to each legacy source.",
            ["source"],
            registry=r,
        )
        self.upstream_errors = Counter(
            "govgraph_upstream_errors",
            "Failed batch calls or failed keys by source and error code.",
            ["source", "code"],
            registry=r,
        )
        self.upstream_latency = Histogram(
            "govgraph_upstream_duration_seconds",
            "Latency of batch calls to each legacy source.",
            ["source"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "govgraph_upstream_batch_keys",
            "Keys per batch call to each legacy source.",
            ["source"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=r,
        )
        self.in_flight = Gauge(
            "govgraph_upstream_in_flight",
            "Calls in flight to each legacy source.",
            ["source"],
            registry=r,
        )
        self.upstream_retries = Counter(
            "govgraph_upstream_retries",
            "Retried read calls to each legacy source.",
            ["source"],
            registry=r,
        )
        self.breaker_state = Gauge(
            "govgraph_breaker_state",
            "Circuit breaker of each source: 0 closed, 1 half-open, 2 open.",
            ["source"],
            registry=r,
        )
        self.breaker_transitions = Counter(
            "govgraph_breaker_transitions",
            "Breaker state changes by source (or source/database) and the state entered.",
            ["source", "state"],
            registry=r,
        )
        self.stale_served = Counter(
            "govgraph_stale_served",
            "Keys answered from last-known data while their source failed, by source.",
            ["source"],
            registry=r,
        )
        self.bulkhead_queued = Gauge(
            "govgraph_bulkhead_queued",
            "Calls waiting for a bulkhead slot, by source.",
            ["source"],
            registry=r,
        )

        self.source_bad_records = Gauge(
            "govgraph_source_bad_records",
            "Records a source holds but cannot decode, as its last health check counted them.",
            ["source"],
            registry=r,
        )
        self.source_rejected_files = Gauge(
            "govgraph_source_rejected_files",
            "Files a source refused to serve (failed integrity checks), as of its last health "
            "check.",
            ["source"],
            registry=r,
        )
        self.statistics_passes = Counter(
            "govgraph_statistics_passes",
            "Full statistics passes completed over each department read in full passes (a "
            "warm-up's, a table's, a refresh's).",
            ["department"],
            registry=r,
        )

    def record_health_facts(self, source: str, facts: Mapping[str, Any]) -> None:
        """Export the counts a source's health check reports (``bad_records``,
        ``rejected_files``); sources that do not report them are left out."""
        for fact, gauge in (
            ("bad_records", self.source_bad_records),
            ("rejected_files", self.source_rejected_files),
        ):
            value = facts.get(fact)
            if isinstance(value, int) and not isinstance(value, bool):
                gauge.labels(source=source).set(value)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
