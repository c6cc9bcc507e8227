"""The gateway's server writes each response with one system call, and loses or delays none."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from govgraph import demo
from govgraph.serve import CoalescingTransport, build_server, wait_started
from tests.security.support import bare_settings

PING = b'{"query": "{ __typename }"}'


def _post(extra: bytes = b"", body: bytes = PING) -> bytes:
    return (
        b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body
    )


async def _response(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One response from ``reader``: status line, headers, body (by its Content-Length)."""
    status = await asyncio.wait_for(reader.readline(), 10)
    headers: dict[bytes, bytes] = {}
    while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers[b"content-length"])), 10)
    return status, headers, body


class _Recording:
    """A transport that records what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        self.writes.append(b"".join(chunks))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


async def test_two_writes_in_one_pass_reach_the_socket_as_one() -> None:
    """A response's head and body written in one loop pass are one transport write, in order;
    a lone write goes out at the end of the pass; closing sends what is held first; anything
    else is the wrapped transport's."""
    recording = _Recording()
    transport = CoalescingTransport(recording, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert recording.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert len(recording.writes) == 1
    await asyncio.sleep(0)
    assert recording.writes[1:] == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    big = b"x" * 200_000
    transport.write(b"head")
    transport.write(big)
    assert recording.writes[2:] == [b"head" + big]
    transport.write(b"last")
    transport.close()
    assert recording.writes[3:] == [b"last"] and recording.closed
    await asyncio.sleep(0)
    assert len(recording.writes) == 4
    assert transport.get_extra_info("peername") == "info:peername"


async def test_pipelined_continued_and_closing_requests_are_all_answered(tmp_path: Path) -> None:
    """Over real HTTP to the gateway's own server: two pipelined requests get two complete
    answers in order, a request sent with ``Expect: 100-continue`` gets its interim answer
    (no body is sent until it does) and then its answer, and ``Connection: close`` gets its
    whole answer before the connection ends."""
    demo.identity_provider(tmp_path)
    server = build_server(bare_settings(tmp_path), port=0)
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            _post(b"X-Request-Id: pipelined-one\r\n") + _post(b"X-Request-Id: two-2222\r\n")
        )
        await writer.drain()
        answers = [await _response(reader), await _response(reader)]
        assert [a[0][:12] for a in answers] == [b"HTTP/1.1 200"] * 2
        assert [a[1][b"x-request-id"] for a in answers] == [b"pipelined-one", b"two-2222"]
        assert all(a[2] == b'{"data":{"__typename":"Query"}}' for a in answers)
        head = _post(b"Expect: 100-continue\r\n", body=b"")
        writer.write(head.replace(b"Content-Length: 0", f"Content-Length: {len(PING)}".encode()))
        await writer.drain()
        interim = await asyncio.wait_for(reader.readline(), 10)
        assert interim == b"HTTP/1.1 100 Continue\r\n"
        assert await asyncio.wait_for(reader.readline(), 10) == b"\r\n"
        writer.write(PING)
        await writer.drain()
        status, _, body = await _response(reader)
        assert status.startswith(b"HTTP/1.1 200") and b"Query" in body
        writer.write(_post(b"Connection: close\r\n"))
        await writer.drain()
        status, headers, body = await _response(reader)
        assert status.startswith(b"HTTP/1.1 200") and b"Query" in body
        assert headers[b"cache-control"] == b"no-store"
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
    finally:
        server.should_exit = True
        await task
