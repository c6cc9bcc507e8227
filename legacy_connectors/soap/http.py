"""One pooled HTTP client per SOAP source; transport failures become typed errors here.

A plain ``http://`` endpoint is called through a small HTTP/1.1 client of this module's own:
kept-alive connections (at most ``limit``), each an asyncio protocol whose answers httptools
parses, and each call one socket write of a request head prepared once per endpoint plus the
envelope. A general-purpose client's per-request machinery (request and response objects,
cookie jar, redirects, tracing hooks, timers) was most of a call's CPU time on the gateway's
single-source path. ``https://`` endpoints and URLs with credentials or characters needing
encoding go through aiohttp, as every endpoint did before.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import httptools

from legacy_connectors.errors import (
    LegacyError,
    ProtocolError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

__all__ = ["KEEPALIVE_S", "HttpReply", "SoapHttpClient"]

KEEPALIVE_S = 4.0
"""How long an idle pooled connection is kept for reuse: below the 5 s that uvicorn (the
simulated tax service) and many other servers keep one open, so the client stops reusing a
connection before the server may close it (aiohttp's default, 15 s, let a long scan reuse
connections the server was closing: "server disconnected")."""

_USER_AGENT = "govgraph-soap/1"


@dataclass(slots=True)
class HttpReply:
    """An HTTP answer: status, lower-cased headers and the body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


class ServerDisconnectedError(ConnectionError):
    """The server closed the connection before any of its answer arrived."""


class IncompleteAnswerError(ConnectionError):
    """The server closed the connection in the middle of its answer."""


class MalformedAnswerError(ConnectionError):
    """The server's answer is not HTTP/1.1 this client can read."""


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


class _Connection(asyncio.Protocol):
    """One kept-alive connection: one request at a time, its answer parsed as it arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[HttpReply] | None = None
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._received = False
        self.reusable = True
        self.closed = False
        self.answered = 0
        """Answers completed on this connection."""
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(MalformedAnswerError(f"unreadable HTTP answer ({type(exc).__name__})"))
            self.close()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._status and not ({"content-length", "transfer-encoding"} & self._headers.keys()):
            self._complete()  # an answer delimited by the end of the connection
        elif self._received:
            self._fail(IncompleteAnswerError("the connection closed in the middle of the answer"))
        else:
            self._fail(ServerDisconnectedError("the connection closed before any answer"))

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._status = 0
        self._headers = {}
        self._body = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:
            return  # an interim answer: the final one follows
        if not self._parser.should_keep_alive():
            self.reusable = False
        self._complete()

    # one exchange

    def _complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is None:
            self.reusable = False  # an answer nobody asked for
            return
        if not waiter.done():
            waiter.set_result(HttpReply(self._status, self._headers, b"".join(self._body)))

    def _fail(self, exc: Exception) -> None:
        self.reusable = False
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def exchange(self, request: bytes) -> HttpReply:
        """Send ``request`` and wait for its whole answer."""
        assert self.transport is not None
        if self.closed or self.transport.is_closing():
            raise ServerDisconnectedError("the connection was closed before the request")
        self._received = False
        waiter: asyncio.Future[HttpReply] = self._loop.create_future()
        self._waiter = waiter
        self.transport.write(request)
        reply = await waiter
        self.answered += 1
        return reply

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _Endpoint:
    """A plain-HTTP endpoint: where to connect, the request head's fixed part, idle
    connections (most recently used last)."""

    def __init__(self, host: str, port: int, head: bytes) -> None:
        self.host = host
        self.port = port
        self.head = head
        self.idle: list[_Connection] = []

    @classmethod
    def of(cls, url: str) -> _Endpoint | None:
        """The endpoint for ``url``, or ``None`` when aiohttp should call it (``https``,
        credentials in the URL, anything outside plain ASCII)."""
        if not url.isascii() or any(c.isspace() for c in url):
            return None
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or "@" in parts.netloc:
            return None
        try:
            port = parts.port or 80
        except ValueError:
            return None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {_USER_AGENT}\r\n"
            "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
        ).encode("ascii")
        return cls(parts.hostname, port, head)


def _decoded(reply: HttpReply) -> HttpReply:
    encoding = reply.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity") or not reply.body:
        return reply
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
            try:
                body = zlib.decompress(reply.body, wbits)
            except zlib.error:
                if "gzip" in encoding:
                    raise
                body = zlib.decompress(reply.body, -zlib.MAX_WBITS)  # raw deflate
        except zlib.error as exc:
            raise MalformedAnswerError(f"a {encoding} body that does not decompress") from exc
        return HttpReply(reply.status, reply.headers, body)
    raise MalformedAnswerError(f"an answer in an encoding this client did not ask for ({encoding})")


class SoapHttpClient:
    """POSTs envelopes over one keep-alive connection pool (``limit`` connections)."""

    def __init__(self, service: str, *, limit: int, timeout_s: float) -> None:
        self.service = service
        self.limit = limit
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._endpoints: dict[str, _Endpoint | None] = {}
        self._slots = asyncio.Semaphore(limit)
        self._busy: set[_Connection] = set()
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.limit, limit_per_host=self.limit, keepalive_timeout=KEEPALIVE_S
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={"User-Agent": _USER_AGENT},
                auto_decompress=True,
            )
        return self._session

    @contextlib.contextmanager
    def _translate(self, url: str, operation: str) -> Iterator[None]:
        detail = f"operation {operation} at {_where(url)}"
        try:
            yield
        except LegacyError:
            raise
        except TimeoutError as exc:
            raise UpstreamTimeoutError(
                f"{self.service} did not answer within {self.timeout_s:g}s",
                service=self.service,
                detail=detail,
            ) from exc
        except aiohttp.InvalidURL as exc:
            raise ProtocolError(
                f"{self.service} endpoint is not a valid URL", service=self.service, detail=detail
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamUnavailableError(
                f"{self.service} could not be reached or dropped the connection "
                f"({type(exc).__name__})",
                service=self.service,
                detail=detail,
            ) from exc

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        operation: str,
        *,
        idempotent: bool = False,
    ) -> HttpReply:
        """POST ``body`` and read the whole answer. An ``idempotent`` call (a read) whose
        reused connection the server closes before answering is sent once more, on a new
        connection: a pooled connection the server has just closed as idle fails that way."""
        if url in self._endpoints:
            endpoint = self._endpoints[url]
        else:
            endpoint = self._endpoints[url] = _Endpoint.of(url)
        with self._translate(url, operation):
            if endpoint is not None:
                return await self._post_plain(endpoint, body, headers, idempotent)
            return await self._post_aiohttp(url, body, headers, idempotent)

    def _request(self, endpoint: _Endpoint, body: bytes, headers: Mapping[str, str]) -> bytes:
        text = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
        if text.count("\n") != len(headers) or text.count("\r") != len(headers):
            raise ProtocolError(
                f"{self.service}: an HTTP header holds a line break", service=self.service
            )
        try:
            fields = text.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ProtocolError(
                f"{self.service}: an HTTP header is not Latin-1 text", service=self.service
            ) from exc
        return b"".join((endpoint.head, fields, b"Content-Length: %d\r\n\r\n" % len(body), body))

    async def _post_plain(
        self, endpoint: _Endpoint, body: bytes, headers: Mapping[str, str], idempotent: bool
    ) -> HttpReply:
        request = self._request(endpoint, body, headers)
        async with asyncio.timeout(self.timeout_s), self._slots:
            fresh_only = False
            while True:
                conn = await self._connection(endpoint, fresh_only)
                reused = conn.answered > 0
                self._busy.add(conn)
                try:
                    reply = await conn.exchange(request)
                except ServerDisconnectedError:
                    conn.close()
                    if not (idempotent and reused):
                        raise
                    fresh_only = True
                    continue
                except BaseException:
                    conn.close()
                    raise
                finally:
                    self._busy.discard(conn)
                self._release(endpoint, conn)
                return _decoded(reply)

    async def _connection(self, endpoint: _Endpoint, fresh_only: bool) -> _Connection:
        loop = asyncio.get_running_loop()
        if not fresh_only:
            now = loop.time()
            while endpoint.idle:
                conn = endpoint.idle.pop()
                if conn.reusable and not conn.closed and now - conn.idle_since < KEEPALIVE_S:
                    return conn
                conn.close()
        _, conn = await loop.create_connection(
            lambda: _Connection(loop), endpoint.host, endpoint.port
        )
        return conn

    def _release(self, endpoint: _Endpoint, conn: _Connection) -> None:
        if self._closed or not conn.reusable or conn.closed:
            conn.close()
            return
        conn.idle_since = asyncio.get_running_loop().time()
        endpoint.idle.append(conn)

    async def _post_aiohttp(
        self, url: str, body: bytes, headers: Mapping[str, str], idempotent: bool
    ) -> HttpReply:
        session = self._open()
        for attempt in (1, 2):
            try:
                async with session.post(url, data=body, headers=dict(headers)) as response:
                    payload = await response.read()
                    return HttpReply(
                        response.status,
                        {k.lower(): v for k, v in response.headers.items()},
                        payload,
                    )
            except aiohttp.ServerDisconnectedError:
                if not idempotent or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        """Close the pool; safe to call more than once."""
        self._closed = True
        for endpoint in self._endpoints.values():
            if endpoint is not None:
                idle, endpoint.idle = endpoint.idle, []
                for conn in idle:
                    conn.close()
        for conn in list(self._busy):
            conn.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        await asyncio.sleep(0)
