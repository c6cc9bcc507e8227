"""Run a gateway app under uvicorn, in the foreground or inside another event loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from govgraph.app import create_app
from govgraph.logs import configure_logging
from govgraph.settings import Settings

__all__ = [
    "CoalescingTransport",
    "GatewayServer",
    "OneWriteHttpProtocol",
    "StoppedWhileStarting",
    "build_server",
    "wait_started",
]

GC_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds in a gateway's own process: a request allocates thousands of
short-lived objects, and Python's default (700, 10, 10) would run a collection every few
requests and a full one every few seconds."""


_JOIN_BELOW = 64 * 1024
"""A held write and the next are joined into one buffer when the next is smaller than this,
and handed to the transport as two buffers (still one system call) when it is larger."""


class CoalescingTransport:
    """A stream transport that holds each write until the next one or the end of the event
    loop's current pass, whichever comes first, so that uvicorn's two writes of a response
    (status line and headers, then the whole body) reach the socket in one system call and
    one TCP segment instead of two. Nothing is held longer than the loop pass it was written
    in, at most one write is held at a time, and closing sends what is held first."""

    __slots__ = ("_flush_handle", "_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._flush_handle: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            if data:
                self._held = data
                self._flush_handle = self._loop.call_soon(self._flush)
            return
        self._drop_held()
        if len(data) < _JOIN_BELOW:
            self._transport.write(held + data)
        else:
            self._transport.writelines((held, data))

    def writelines(self, chunks: Any) -> None:
        self._flush()
        self._transport.writelines(chunks)

    def _drop_held(self) -> None:
        self._held = None
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    def _flush(self) -> None:
        held = self._held
        self._drop_held()
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._drop_held()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(coalescing)  # type: ignore[arg-type]


class GatewayServer(uvicorn.Server):
    """A uvicorn server that, when it owns its process, freezes the start-up heap once the
    app's lifespan has opened everything: the modules, the schema and the connectors' state
    (a few hundred thousand objects that live as long as the process) are then left out of
    every garbage collection instead of being walked by each full one."""

    def __init__(self, config: uvicorn.Config, *, owns_process: bool = False) -> None:
        super().__init__(config)
        self.owns_process = owns_process

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.owns_process and not self.should_exit:
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)


def build_server(
    settings: Settings,
    *,
    port: int | None = None,
    log_level: str = "warning",
    owns_process: bool = False,
) -> GatewayServer:
    """A uvicorn server for the gateway (graceful shutdown finishes in-flight requests).
    ``owns_process``: the server is the process's one job (``govgraph serve``), so it may tune
    the process's garbage collector (see :class:`GatewayServer`)."""
    jwks = None
    if settings.auth.jwks_file:
        jwks = Path(settings.auth.jwks_file)
    app = create_app(settings, jwks_path=jwks)
    configure_logging(settings.logs)
    config = uvicorn.Config(
        app,
        host=settings.gateway.host,
        port=settings.gateway.port if port is None else port,
        log_level=log_level,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=15,
        timeout_keep_alive=settings.gateway.keep_alive_s,
        loop="auto",
        http=OneWriteHttpProtocol,
    )
    return GatewayServer(config, owns_process=owns_process)


class StoppedWhileStarting(RuntimeError):
    """The server was told to stop (SIGTERM, SIGINT, ``should_exit``) before it listened: it
    finishes starting, then shuts down at once without serving a request."""


async def wait_started(server: uvicorn.Server, timeout_s: float = 60) -> int:
    """Wait until ``server`` listens; return its port. Raises :class:`StoppedWhileStarting`
    when the server is stopping instead (the caller then awaits its ``serve()`` to let the
    shutdown finish), and ``RuntimeError`` when it has not started within ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not (server.started or server.should_exit):
        if loop.time() > deadline:
            raise RuntimeError("the gateway did not start in time")
        await asyncio.sleep(0.05)
    listening = [sock for srv in getattr(server, "servers", ()) for sock in srv.sockets]
    if server.should_exit or not listening:
        raise StoppedWhileStarting("the gateway was stopped while it was starting")
    port: int = listening[0].getsockname()[1]
    logging.getLogger("govgraph").debug("gateway listening on %s", port)
    return port
