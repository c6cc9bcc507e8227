"""Run a gateway app under uvicorn, in the foreground or inside another event loop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import uvicorn

from govgraph.app import create_app
from govgraph.logs import configure_logging
from govgraph.settings import Settings

__all__ = ["build_server"]


def build_server(
    settings: Settings, *, port: int | None = None, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for the gateway (graceful shutdown finishes in-flight requests)."""
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
        loop="auto",
    )
    return uvicorn.Server(config)


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
