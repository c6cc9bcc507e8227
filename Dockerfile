# The gateway with the simulated departments and demo data; `docker run -p 8000:8000 govgraph`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY govgraph ./govgraph
COPY schema ./schema
COPY resolvers ./resolvers
COPY legacy_connectors ./legacy_connectors
COPY fixtures ./fixtures
# The OTLP exporter: deploy/ sends traces to an OpenTelemetry collector (tracing.exporter = "otlp").
RUN pip install --no-cache-dir --prefix=/install . opentelemetry-exporter-otlp-proto-http

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 govgraph
COPY --from=build /install /usr/local
USER govgraph
WORKDIR /home/govgraph
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# `govgraph serve --config /etc/govgraph/govgraph.toml` runs against real departments instead.
CMD ["govgraph", "demo", "--host", "0.0.0.0", "--port", "8000", "--data", "/home/govgraph/demo-data"]
