"""Shared set-up for benchmarks: generated data, simulated systems and a gateway process.

Every benchmark starts what it measures itself, on loopback, and stops it afterwards.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govgraph import demo  # noqa: E402
from govgraph.idp import DemoIdentityProvider  # noqa: E402
from govgraph.settings import Settings, load_settings  # noqa: E402


def data_dir(people: int = 1000, seed: int = 0) -> Path:
    """A generated population, cached between runs in the system's temp folder."""
    path = Path(tempfile.gettempdir()) / f"govgraph-bench-{people}-{seed}"
    demo.ensure_data(path, people=people, seed=seed)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Stack:
    base_url: str
    settings: Settings
    data: Path
    idp: DemoIdentityProvider
    pid: int
    """The gateway process (for its CPU time and memory)."""
    tax_url: str

    def headers(self, role: str, citizen_id: str | None = None) -> dict[str, str]:
        purpose = "case-review" if role == "caseworker" else None
        token = self.idp.token(role=role, citizen_id=citizen_id, purpose=purpose)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _link(settings: Settings) -> None:
    """Link the sources into the citizen index, in a thread of its own.

    ``stack`` is entered from async benchmarks too, whose event loop is already running, so
    the linker gets a fresh loop in a worker thread rather than ``asyncio.run`` on this one.
    """
    import asyncio

    from govgraph.commands.link import link_from_settings

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, link_from_settings(settings)).result()


@contextlib.contextmanager
def stack(
    data: Path,
    *,
    latency_ms: float = 0.0,
    gateway_options: dict[str, Any] | None = None,
    statistics_options: dict[str, Any] | None = None,
) -> Iterator[Stack]:
    """Start the simulated tax service and a gateway process over ``data``."""
    idp = demo.identity_provider(data)
    with demo.tax_service(data, latency_ms=latency_ms) as tax_url:
        port = free_port()
        mapping = demo.config_mapping(data, tax_url, port=port, latency_ms=latency_ms)
        mapping["gateway"].update(gateway_options or {})
        mapping["statistics"].update(statistics_options or {})
        config = data / f"bench-{port}.toml"
        demo.write_config(config, mapping)
        settings = load_settings(config)
        if not (data / "index.sqlite").exists():
            _link(settings)
        proc = subprocess.Popen(
            [sys.executable, "-m", "govgraph.cli", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("the gateway did not become ready")
            yield Stack(base, settings, data, idp, proc.pid, tax_url)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            config.unlink(missing_ok=True)


async def citizens_with_all_sources(
    settings: Settings, limit: int = 50, require: tuple[str, ...] = ()
) -> list[str]:
    """Citizen ids linked to the most departments (those make the heaviest `me` queries),
    among those linked to every source in ``require``."""
    from govgraph.index import CitizenIndex

    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    try:
        sources: dict[str, set[str]] = {}
        for link in await index.all_links():
            if link.status == "active":
                sources.setdefault(link.citizen_id, set()).add(link.source)
    finally:
        await index.aclose()
    held = [cid for cid in sources if sources[cid].issuperset(require)]
    ranked = sorted(held, key=lambda cid: (-len(sources[cid]), cid))
    return ranked[:limit]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]
