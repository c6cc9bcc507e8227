"""One pooled aiohttp client per SOAP source; transport failures become typed errors here."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

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


@dataclass(slots=True)
class HttpReply:
    """An HTTP answer: status, lower-cased headers and the body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


class SoapHttpClient:
    """POSTs envelopes over one keep-alive connection pool (``limit`` connections)."""

    def __init__(self, service: str, *, limit: int, timeout_s: float) -> None:
        self.service = service
        self.limit = limit
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.limit, limit_per_host=self.limit, keepalive_timeout=KEEPALIVE_S
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={"User-Agent": "govgraph-soap/1"},
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
        connection the server closes before answering is sent once more, on a new connection:
        a pooled connection the server has just closed as idle fails that way."""
        session = self._open()
        with self._translate(url, operation):
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
        session, self._session = self._session, None
        if session is not None:
            await session.close()
            await asyncio.sleep(0)
