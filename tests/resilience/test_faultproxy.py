"""The TCP fault proxy passes, delays, stalls, resets and drops traffic as its mode says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from fixtures.faultproxy import FaultProxy

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest_asyncio.fixture(loop_scope="session")
async def proxy() -> AsyncIterator[FaultProxy]:
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = echo.sockets[0].getsockname()[1]
    async with FaultProxy("127.0.0.1", port) as p:
        yield p
    echo.close()
    await echo.wait_closed()


async def _round_trip(proxy: FaultProxy, payload: bytes, wait_s: float = 1.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), wait_s)
    finally:
        writer.close()


async def test_ok_passes_bytes_both_ways(proxy: FaultProxy) -> None:
    """In ``ok`` mode the echo upstream's answer comes back unchanged."""
    assert await _round_trip(proxy, b"hello") == b"hello"


async def test_dead_stalls_until_the_mode_changes(proxy: FaultProxy) -> None:
    """In ``dead`` mode nothing comes back; once ``ok`` again, the held bytes flow."""
    proxy.set(mode="dead")
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"held")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1024), 0.2)
    proxy.set(mode="ok")
    assert await asyncio.wait_for(reader.read(1024), 1.0) == b"held"
    writer.close()


async def test_failing_resets_connections(proxy: FaultProxy) -> None:
    """In ``failing`` mode a connection is reset before any answer."""
    proxy.set(mode="failing")
    try:
        answer = await _round_trip(proxy, b"x")
    except ConnectionError:
        answer = b""
    assert answer == b""


async def test_drop_cuts_the_answer_short(proxy: FaultProxy) -> None:
    """In ``drop`` mode only ``drop_after_bytes`` of the answer arrive, then the connection ends."""
    proxy.set(mode="drop", drop_after_bytes=3)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"abcdef")
    await writer.drain()
    received = b""
    while data := await asyncio.wait_for(reader.read(1024), 1.0):
        received += data
    writer.close()
    assert received == b"abc"


async def test_bad_mode_is_refused(proxy: FaultProxy) -> None:
    """An unknown mode is an error naming the accepted ones."""
    with pytest.raises(ValueError, match="mode must be one of ok, slow"):
        proxy.set(mode="sideways")
