"""Traces (a span per request and per upstream call, no personal data) and JSON logs with the
request id, which also reaches the connectors."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from typing import ClassVar

import pytest

from govgraph.logs import JsonFormatter, RequestIdFilter
from govgraph.settings import SourceSettings
from govgraph.sources import RequestScope, Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import Connector, Result, current_call
from tests.harness import RunningGateway
from tests.resilience.conftest import Faults
from tests.resilience.stack import ME, persona, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

MEMORY_TRACES = {"tracing": {"exporter": "memory"}}


async def test_spans_cover_the_request_and_each_upstream_call_without_personal_data(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
) -> None:
    """One server span per request, a client span per source call under it, nothing personal."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url, sections=MEMORY_TRACES)
    async with serve(settings) as served:
        tax_faults.set(mode="failing", retry_after_s=0)
        response = await served.client.post(
            "/graphql",
            json={"query": ME, "operationName": "Me"},
            headers={**gateway.headers("citizen", citizen), "x-request-id": "trace-test-0001"},
        )
        assert response.status_code == 200
        exporter = served.app.state.tracing.exporter
        spans = exporter.get_finished_spans()
    requests = [s for s in spans if s.name == "graphql query Me"]
    assert len(requests) == 1
    root = requests[0]
    assert root.attributes["graphql.operation.name"] == "Me"
    assert root.attributes["govgraph.request_id"] == "trace-test-0001"
    upstream = [s for s in spans if s.name.startswith("upstream ")]
    sources = {s.attributes["govgraph.source"] for s in upstream}
    assert sources == {"tax", "benefits", "passports", "vehicles", "parking"}
    assert all(s.context.trace_id == root.context.trace_id for s in upstream)
    assert all(s.attributes["govgraph.operation"] == "load_many" for s in upstream)
    failed = [s for s in upstream if s.attributes["govgraph.source"] == "tax"]
    assert failed and all(s.attributes["govgraph.error_code"] == "UPSTREAM_BUSY" for s in failed)
    assert all(s.status.is_ok for s in upstream if s.attributes["govgraph.source"] != "tax")

    person = persona(gateway.population)
    secrets = {person.tax.nino, person.passport.passport_number, person.surname, citizen}
    for span in spans:
        text = json.dumps({k: str(v) for k, v in (span.attributes or {}).items()}) + span.name
        assert not any(secret in text for secret in secrets), span.name


async def test_log_lines_are_json_with_the_request_id(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
) -> None:
    """A breaker opening during a request is logged as JSON carrying that request's id."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("govgraph.sources")
    logger.addHandler(handler)
    try:
        settings = settings_for(gateway.data_dir, faulty_tax, index_url)
        async with serve(settings) as served:
            tax_faults.set(mode="failing", retry_after_s=0)
            await served.client.post(
                "/graphql",
                json={"query": ME},
                headers={**gateway.headers("citizen", citizen), "x-request-id": "log-test-0001"},
            )
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    opened = [line for line in lines if line["message"] == "breaker tax: closed -> open"]
    assert opened, lines
    assert opened[0]["request_id"] == "log-test-0001"
    assert opened[0]["level"] == "warning"
    assert opened[0]["logger"] == "govgraph.sources"


class _Recording(Connector):
    kind: ClassVar[str] = "recording"

    def __init__(self) -> None:
        super().__init__("recording", Connector.Settings())
        self.seen: list[str | None] = []

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        self.seen.append(current_call().request_id)
        return [None for _ in keys]


async def test_connectors_see_the_request_id() -> None:
    """Inside a connector call, `current_call()` gives the id of the request it is made for."""
    connector = _Recording()
    source = Source("recording", connector, SourceSettings(kind="memory"), Metrics())
    source.opened = True
    await source.load_many(["a"])
    await source.load_many(["b"], scope=RequestScope(request_id="req-connector-0001"))
    await source.load_many(["c"])
    assert connector.seen == [None, "req-connector-0001", None]
