"""Run a gateway app under uvicorn, in the foreground or inside another event loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from pathlib import Path

import uvicorn

from govgraph.app import create_app
from govgraph.logs import configure_logging
from govgraph.settings import Settings

__all__ = ["GatewayServer", "build_server"]

GC_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds in a gateway's own process: a request allocates thousands of
short-lived objects, and Python's default (700, 10, 10) would run a collection every few
requests and a full one every few seconds."""


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
    )
    return GatewayServer(config, owns_process=owns_process)


async def wait_started(server: uvicorn.Server, timeout_s: float = 60) -> int:
    """Wait until ``server`` listens; return its port."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not server.started:
        if loop.time() > deadline:
            raise RuntimeError("the gateway did not start in time")
        await asyncio.sleep(0.05)
    sock = server.servers[0].sockets[0]
    port: int = sock.getsockname()[1]
    logging.getLogger("govgraph").debug("gateway listening on %s", port)
    return port
