"""A pooled connection the server closes as idle: reads are sent again, writes are not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from legacy_connectors.errors import UpstreamUnavailableError
from legacy_connectors.soap.http import KEEPALIVE_S, SoapHttpClient
from tests.legacy_connectors.soap.loopback import read_request

_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 7\r\n"
    b"Connection: keep-alive\r\n\r\n<ok n/>"
)


class _ClosesAfterOne:
    """An HTTP server that answers the first request on each connection and keeps it open, then
    closes the connection when the next request arrives, unanswered: what a server does to a
    connection it is closing as idle just as a client reuses it."""

    def __init__(self) -> None:
        self.answered = 0
        self.dropped = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await read_request(reader)
            writer.write(_ANSWER)
            await writer.drain()
            self.answered += 1
            await read_request(reader)
            self.dropped += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[_ClosesAfterOne, str]]:
    behaviour = _ClosesAfterOne()
    listening = await asyncio.start_server(behaviour.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield behaviour, f"http://127.0.0.1:{port}/tax"
    finally:
        listening.close()
        await listening.wait_closed()


async def test_a_read_on_a_connection_the_server_drops_is_answered_on_a_new_one(
    server: tuple[_ClosesAfterOne, str],
) -> None:
    behaviour, url = server
    client = SoapHttpClient("tax", limit=1, timeout_s=10)
    try:
        for _ in range(3):
            reply = await client.post(url, b"<q/>", {}, "GetTaxpayer", idempotent=True)
            assert (reply.status, reply.body) == (200, b"<ok n/>")
    finally:
        await client.aclose()
    assert behaviour.answered == 3 and behaviour.dropped == 2 and behaviour.connections == 3


async def test_a_write_on_a_connection_the_server_drops_is_not_sent_twice(
    server: tuple[_ClosesAfterOne, str],
) -> None:
    behaviour, url = server
    client = SoapHttpClient("tax", limit=1, timeout_s=10)
    try:
        await client.post(url, b"<w/>", {}, "SubmitAddressChange")
        with pytest.raises(UpstreamUnavailableError, match="dropped the connection"):
            await client.post(url, b"<w/>", {}, "SubmitAddressChange")
    finally:
        await client.aclose()
    assert behaviour.answered == 1 and behaviour.dropped == 1


def test_idle_connections_are_given_up_before_the_tax_service_closes_them() -> None:
    """The simulated tax service runs under uvicorn, which closes a connection idle for 5 s."""
    import uvicorn

    assert uvicorn.Config(app=None).timeout_keep_alive > KEEPALIVE_S  # type: ignore[arg-type]
