"""Start-up with sources down, recovery when they return, and graceful shutdown."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from fixtures.faultproxy import FaultProxy
from govgraph.serve import build_server, wait_started
from tests.harness import RunningGateway
from tests.resilience.stack import ME, assert_failed, me, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _benefits_without_copybook(data_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path / "benefits"
    folder.mkdir()
    generation = next((data_dir / "benefits").glob("BENEFITS.D*"))
    shutil.copyfile(generation, folder / generation.name)
    copybook = folder / "BENEFITS.cpy"
    return copybook, {"options": {"directory": str(folder), "copybook": str(copybook)}}


async def test_gateway_starts_with_sources_down_and_recovers_by_itself(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    tmp_path: Path,
) -> None:
    """With tax refusing and benefits unopenable at start, the gateway serves the rest."""
    where = urlsplit(faulty_tax)
    assert where.hostname is not None and where.port is not None
    copybook, benefits = _benefits_without_copybook(gateway.data_dir, tmp_path)
    async with FaultProxy(where.hostname, where.port) as proxy:
        proxy.set(mode="failing")
        tax = {
            "options": {
                "wsdl": f"http://{proxy.address}/tax?wsdl",
                "endpoint": f"http://{proxy.address}/tax",
            }
        }
        settings = settings_for(
            gateway.data_dir, faulty_tax, index_url, sources={"tax": tax, "benefits": benefits}
        )
        async with serve(settings) as served:
            assert not served.sources["tax"].opened
            assert not served.sources["benefits"].opened
            ready = await served.client.get("/readyz")
            assert ready.status_code == 200
            report = ready.json()
            assert report["status"] == "degraded"
            assert report["sources"]["tax"]["status"] == "down"
            assert report["sources"]["benefits"]["status"] == "down"
            assert report["sources"]["passports"]["status"] == "up"

            body = await me(served, gateway, citizen)
            assert_failed(
                body,
                baseline,
                {"tax": "UPSTREAM_UNAVAILABLE", "benefits": "UPSTREAM_UNAVAILABLE"},
            )

            proxy.set(mode="ok")
            shutil.copyfile(gateway.data_dir / "benefits" / "BENEFITS.cpy", copybook)
            for _ in range(50):
                await asyncio.sleep(0.1)
                body = await me(served, gateway, citizen)
                if "errors" not in body:
                    break
            assert "errors" not in body, body["errors"]
            assert body["data"]["me"] == baseline
            ready = await served.client.get("/readyz")
            assert ready.json()["status"] == "ready"


async def test_shutdown_finishes_in_flight_requests_and_closes_connectors(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
) -> None:
    """A request in flight when shutdown starts is answered in full; then connectors close."""
    slow = {"chaos": {"latency_ms": 400}, "read_timeout_s": 1.0}
    settings = settings_for(gateway.data_dir, faulty_tax, index_url, sources={"passports": slow})
    server = build_server(settings, port=0)
    serving = asyncio.create_task(server.serve())
    port = await wait_started(server)
    sources = server.config.app.state.gateway.sources
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        request = asyncio.create_task(
            client.post("/graphql", json={"query": ME}, headers=gateway.headers("citizen", citizen))
        )
        await asyncio.sleep(0.15)
        server.should_exit = True
        response = await request
        await serving
        with pytest.raises(httpx.ConnectError):
            await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    assert body["data"]["me"] == baseline
    assert sources["benefits"].connector.current is None
