"""OpenTelemetry traces: a span per GraphQL request and one per upstream call.

Spans name the operation, the source and the outcome, never a key, a record or a person.
Each app has its own tracer provider (so tests stay independent); the exporter is chosen in
configuration: ``none`` (no spans are made at all), ``console``, ``memory`` (kept in the
process, for tests) or ``otlp`` (OTLP over HTTP; needs the optional
``opentelemetry-exporter-otlp-proto-http`` package).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Concatenate, Literal, ParamSpec, Protocol, TypeVar

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from pydantic import BaseModel, ConfigDict, Field

from legacy_connectors.errors import ConfigurationError

__all__ = ["Tracing", "TracingSettings", "annotate_request", "upstream_span"]


class _Request(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...


class _Reply(Protocol):
    @property
    def status_code(self) -> int: ...


_Q = TypeVar("_Q", bound=_Request)
_R = TypeVar("_R", bound=_Reply)
_P = ParamSpec("_P")


class TracingSettings(BaseModel):
    """Where the gateway's traces go."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    exporter: Literal["none", "console", "memory", "otlp"] = "none"
    """``none`` makes no spans; ``console`` prints them; ``memory`` keeps them in the process
    (tests); ``otlp`` sends them to ``otlp_endpoint``."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP traces URL, e.g. ``http://127.0.0.1:4318/v1/traces`` (``otlp`` only)."""
    service_name: str = "govgraph"
    """``service.name`` of the spans."""
    sample_ratio: float = Field(default=1.0, ge=0, le=1)
    """Share of requests traced (a caller's sampling decision is followed when given)."""


def _exporter(settings: TracingSettings) -> SpanExporter:
    if settings.exporter == "console":
        return ConsoleSpanExporter()
    if settings.exporter == "memory":
        return InMemorySpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigurationError(
            "tracing.exporter: 'otlp' needs the opentelemetry-exporter-otlp-proto-http "
            "package, which is not installed"
        ) from exc
    return OTLPSpanExporter(endpoint=settings.otlp_endpoint)  # type: ignore[no-any-return]


class Tracing:
    """One app's tracer provider, tracer and exporter (``tracer`` is ``None`` when off)."""

    def __init__(self, settings: TracingSettings) -> None:
        self.settings = settings
        self.provider: TracerProvider | None = None
        self.exporter: SpanExporter | None = None
        self.tracer: Tracer | None = None
        if settings.exporter == "none":
            return
        self.exporter = _exporter(settings)
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        processor = (
            BatchSpanProcessor(self.exporter)
            if settings.exporter == "otlp"
            else SimpleSpanProcessor(self.exporter)
        )
        self.provider.add_span_processor(processor)
        self.tracer = self.provider.get_tracer("govgraph")

    def traced(
        self, handler: Callable[Concatenate[_Q, _P], Awaitable[_R]]
    ) -> Callable[Concatenate[_Q, _P], Awaitable[_R]]:
        """Wrap an HTTP handler (a request with ``method`` and ``path`` in, an answer with
        ``status_code`` out) so each request runs inside a server span; with tracing off the
        handler is returned as it is."""
        tracer = self.tracer
        if tracer is None:
            return handler

        async def endpoint(request: _Q, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            with tracer.start_as_current_span(
                "graphql.request",
                kind=SpanKind.SERVER,
                attributes={"http.request.method": request.method, "url.path": request.path},
            ) as span:
                response = await handler(request, *args, **kwargs)
                span.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                return response

        return endpoint

    def shutdown(self) -> None:
        """Flush and stop exporting."""
        if self.provider is not None:
            self.provider.shutdown()


def annotate_request(operation_name: str, operation_type: str, request_id: str) -> None:
    """Name the current request span after its GraphQL operation (no variables, no data)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.update_name(f"graphql {operation_type} {operation_name}")
    span.set_attribute("graphql.operation.name", operation_name)
    span.set_attribute("graphql.operation.type", operation_type)
    span.set_attribute("govgraph.request_id", request_id)


@contextlib.contextmanager
def upstream_span(
    tracer: Tracer | None, source: str, operation: str, keys: int | None
) -> Iterator[None]:
    """A client span around one upstream call: source, operation and batch size only."""
    if tracer is None:
        yield
        return
    attributes: dict[str, str | int] = {"govgraph.source": source, "govgraph.operation": operation}
    if keys is not None:
        attributes["govgraph.batch_keys"] = keys
    with tracer.start_as_current_span(
        f"upstream {source} {operation}",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except Exception as exc:
            code = getattr(exc, "code", type(exc).__name__)
            span.set_attribute("govgraph.error_code", code)
            span.set_status(Status(StatusCode.ERROR, code))
            raise
