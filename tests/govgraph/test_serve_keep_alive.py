"""The gateway keeps an idle client connection for ``gateway.keep_alive_s``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from govgraph import demo
from govgraph.serve import build_server, wait_started
from tests.security.support import bare_settings

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Send one request on the connection; the response's status line (b'' if it was closed)."""
    writer.write(REQUEST)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 10)
    if not status:
        return b""
    length = 0
    while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await asyncio.wait_for(reader.readexactly(length), 10)
    return status


async def _idle_then_reuse(data: Path, idle_s: float, **gateway: object) -> tuple[bytes, bytes]:
    demo.identity_provider(data)
    server = build_server(bare_settings(data, **gateway), port=0)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        first = await _exchange(reader, writer)
        await asyncio.sleep(idle_s)
        try:
            second = await _exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            second = b""
        writer.close()
        return first, second
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize(
    ("gateway", "idle_s", "kept"),
    [({}, 6.0, True), ({"keep_alive_s": 1}, 2.5, False)],
    ids=["default", "one-second"],
)
async def test_an_idle_connection_is_kept_as_long_as_configured(
    tmp_path: Path, gateway: dict[str, object], idle_s: float, kept: bool
) -> None:
    """By default a connection left idle for longer than common HTTP clients keep theirs
    (5 s) still answers its next request, so a client never sends on a connection the gateway
    is closing at that moment; with a shorter ``keep_alive_s`` the gateway closes it."""
    first, second = await _idle_then_reuse(tmp_path, idle_s, **gateway)
    assert first.startswith(b"HTTP/1.1 200")
    if kept:
        assert second.startswith(b"HTTP/1.1 200")
    else:
        assert second == b""
