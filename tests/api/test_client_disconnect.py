"""A client that disconnects mid-request is logged quietly (debug, no traceback) and counted."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from govgraph import demo
from tests.security.support import bare_settings, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _Records(logging.Handler):
    """Every record logged while installed."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _disconnects(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("govgraph_client_disconnects_total "):
            return float(line.split()[1])
    raise AssertionError("govgraph_client_disconnects_total is not exported")


async def test_client_disconnect_mid_body_is_debug_without_traceback(tmp_path: Path) -> None:
    """A client that sends half its body and hangs up: no error-level record, no traceback,
    one debug record and the disconnect counter up by one; the gateway keeps serving."""
    from govgraph.app import create_app

    demo.identity_provider(tmp_path)
    app = create_app(bare_settings(tmp_path))
    records = _Records()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("govgraph")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(records)
        logger.setLevel(logging.DEBUG)
    try:
        async with (
            serving(app, log_config=None) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            before = _disconnects((await client.get("/metrics")).text)
            parts = urlsplit(url)
            _, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(
                b"POST /graphql HTTP/1.1\r\nHost: gateway\r\n"
                b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n"
                b'{"query": "{ __typ'
            )
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            await writer.wait_closed()
            for _ in range(50):
                after = _disconnects((await client.get("/metrics")).text)
                if after > before:
                    break
                await asyncio.sleep(0.05)
            ping = await client.post("/graphql", json={"query": "{ __typename }"})
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)
    assert after == before + 1
    assert ping.json() == {"data": {"__typename": "Query"}}
    assert [r.getMessage() for r in records.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in records.records if r.exc_info or r.exc_text] == []
    assert any(
        r.levelno == logging.DEBUG and "disconnected" in r.getMessage() for r in records.records
    )
