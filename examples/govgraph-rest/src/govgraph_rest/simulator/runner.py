"""Serve the simulated land registry with uvicorn: in the foreground, or on a thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

__all__ = ["serve_forever", "serve_in_thread"]


def _server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    return uvicorn.Server(config)


def _url(server: uvicorn.Server, host: str) -> str:
    return f"http://{host}:{server.servers[0].sockets[0].getsockname()[1]}"


async def serve_forever(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until interrupted, printing ``listening on http://HOST:PORT`` once started."""
    server = _server(app, host, port)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            raise RuntimeError(f"the land registry did not start on {host}:{port}")
        await asyncio.sleep(0.02)
    print(f"listening on {_url(server, host)}", flush=True)
    await task


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on a background thread's own event loop; yield its base URL."""
    server = _server(app, host, port)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the land registry did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield _url(server, host)
    finally:
        server.should_exit = True
        thread.join(10)
