"""The SOAP sources' own HTTP/1.1 client over real loopback sockets: every way a server may
frame its answer is read whole, connections are kept and bounded, and every failure is a
typed error that never hands one call another call's answer."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from legacy_connectors.errors import (
    ProtocolError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.soap.http import SoapHttpClient
from tests.legacy_connectors.soap.loopback import read_request

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class _Server:
    """A loopback HTTP server answering each request with ``answer``."""

    answer: Answer
    url: str = ""
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    open_now: int = 0
    most_open: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                request = await read_request(reader)
                self.requests.append(request)
                await self.answer(request, writer)
                if writer.is_closing():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], Awaitable[_Server]]]:
    listening: list[asyncio.Server] = []

    async def start(answer: Answer) -> _Server:
        server = _Server(answer)
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        listening.append(srv)
        server.url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/tax?wsdl=no"
        return server

    yield start
    for srv in listening:
        srv.close()
        await srv.wait_closed()


def _ok(body: bytes, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + b"".join(e + b"\r\n" for e in extra)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _post(client: SoapHttpClient, server: _Server, body: bytes = b"<q/>") -> bytes:
    headers = {"Content-Type": "text/xml", "SOAPAction": '"urn:x"'}
    reply = await client.post(server.url, body, headers, "Op", idempotent=True)
    assert reply.status == 200
    return reply.body


async def test_the_request_is_one_plain_http_post(
    serve: Callable[[Answer], Awaitable[_Server]],
) -> None:
    """The request line names the path and query, Host the endpoint, the given headers and the
    body's length follow, then the envelope."""

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(_ok(b"<a/>"))

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=2, timeout_s=5)
    try:
        assert await _post(client, server, b"<envelope/>") == b"<a/>"
    finally:
        await client.aclose()
    [request] = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    port = server.url.split(":")[2].split("/")[0]
    assert lines[0] == b"POST /tax?wsdl=no HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}".encode() in lines
    assert b'SOAPAction: "urn:x"' in lines and b"Content-Type: text/xml" in lines
    assert b"Content-Length: 11" in lines and body == b"<envelope/>"


@pytest.mark.parametrize(
    "framing", ["dribbled", "chunked", "gzip", "until-close", "interim-100", "repeated-header"]
)
async def test_every_framing_of_an_answer_is_read_whole(
    serve: Callable[[Answer], Awaitable[_Server]], framing: str
) -> None:
    """An answer sent a few bytes at a time, chunked, gzip-encoded, ended by closing the
    connection, or after an interim 100 answer arrives whole and decoded."""
    payload = b"<reply>" + b"x" * 3000 + b"</reply>"

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        if framing == "dribbled":
            data = _ok(payload)
            for i in range(0, len(data), 7):
                writer.write(data[i : i + 7])
                await writer.drain()
                await asyncio.sleep(0)
        elif framing == "chunked":
            chunks = b"".join(
                b"%x\r\n%s\r\n" % (len(payload[i : i + 1000]), payload[i : i + 1000])
                for i in range(0, len(payload), 1000)
            )
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
            )
        elif framing == "gzip":
            writer.write(_ok(gzip.compress(payload), b"Content-Encoding: gzip"))
        elif framing == "until-close":
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
            await writer.drain()
            writer.close()
        elif framing == "interim-100":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(payload))
        else:
            writer.write(_ok(payload, b"X-Seen: one", b"X-Seen: two"))

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=2, timeout_s=5)
    try:
        assert await _post(client, server) == payload
        assert await _post(client, server) == payload
    finally:
        await client.aclose()
    assert server.connections == (2 if framing == "until-close" else 1)


async def test_connections_are_kept_and_bounded(
    serve: Callable[[Answer], Awaitable[_Server]],
) -> None:
    """Calls one after another share one connection; twenty at once open at most ``limit``,
    and each gets the answer to its own request."""

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.01)
        writer.write(_ok(b"<echo>" + request.partition(b"\r\n\r\n")[2] + b"</echo>"))

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=3, timeout_s=5)
    try:
        for i in range(3):
            assert await _post(client, server, b"<n>%d</n>" % i) == b"<echo><n>%d</n></echo>" % i
        assert server.connections == 1
        bodies = [b"<n>%d</n>" % i for i in range(20)]
        answers = await asyncio.gather(*(_post(client, server, b) for b in bodies))
    finally:
        await client.aclose()
    assert answers == [b"<echo>" + b + b"</echo>" for b in bodies]
    assert server.most_open <= 3


async def test_a_late_answer_never_reaches_the_next_call(
    serve: Callable[[Answer], Awaitable[_Server]],
) -> None:
    """A call that times out gives up its connection: the next call gets its own answer, not
    the one that arrived late for the first."""
    calls = 0

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.5)
            writer.write(_ok(b"<late/>"))
        else:
            writer.write(_ok(b"<second/>"))

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=1, timeout_s=0.2)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await _post(client, server)
        await asyncio.sleep(0.4)
        assert await _post(client, server) == b"<second/>"
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (b"this is not HTTP at all\r\n\r\n", "MalformedAnswerError"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half", "IncompleteAnswerError"),
        (_ok(b"not gzip", b"Content-Encoding: gzip"), "MalformedAnswerError"),
        (_ok(b"<a/>", b"Content-Encoding: br"), "MalformedAnswerError"),
        (b"", "ServerDisconnectedError"),
    ],
    ids=["garbage", "cut-short", "bad-gzip", "unasked-encoding", "closed-unanswered"],
)
async def test_a_broken_answer_is_unavailable_and_sent_once(
    serve: Callable[[Answer], Awaitable[_Server]], reply: bytes, cause: str
) -> None:
    """Garbage, an answer cut short, a body that does not decode and a connection closed
    without an answer are each a retryable UpstreamUnavailableError naming the cause; a new
    connection is not retried, so the server sees the request once."""

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=1, timeout_s=5)
    try:
        with pytest.raises(UpstreamUnavailableError, match=cause) as caught:
            await _post(client, server)
    finally:
        await client.aclose()
    assert caught.value.retryable and len(server.requests) == 1


async def test_a_header_with_a_line_break_is_refused_before_sending(
    serve: Callable[[Answer], Awaitable[_Server]],
) -> None:
    """A header value holding CR or LF (which would start a header of its own) is a
    ProtocolError, and nothing is sent."""

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(_ok(b"<a/>"))

    server = await serve(answer)
    client = SoapHttpClient("tax", limit=1, timeout_s=5)
    try:
        with pytest.raises(ProtocolError, match="line break"):
            await client.post(server.url, b"<q/>", {"SOAPAction": "a\r\nX-Evil: 1"}, "Op")
    finally:
        await client.aclose()
    assert server.requests == []
