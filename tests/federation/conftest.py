"""Fixtures of the federation tests: govgraph as a Federation v2 subgraph, and a real npm
composition and gateway (pinned in this folder's ``package-lock.json``) in front of it and a
second subgraph."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.harness import RunningGateway, gateway_copy, npm_ci

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Supergraph:
    """The npm gateway's URL and the citizens the second subgraph knows."""

    gateway: str
    subgraph: str
    citizens: list[str]
    """Global ids of the citizens the second subgraph holds a preference for, in order."""
    govgraph: RunningGateway


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def federated(
    gateway: RunningGateway, tax_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    """govgraph with ``gateway.federation`` on, over the demo data (a copy of its index)."""
    folder = tmp_path_factory.mktemp("federated")
    async with gateway_copy(gateway, tax_url, folder, federation=True) as running:
        yield running


async def _citizen_ids(index_url: str, n: int) -> list[str]:
    from govgraph.index import CitizenIndex
    from resolvers.ids import encode_id

    index = CitizenIndex(index_url)
    await index.open()
    try:
        ids, _ = await index.page(n, None)
    finally:
        await index.aclose()
    return [encode_id("Citizen", cid) for cid in ids]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def supergraph(
    federated: RunningGateway, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Supergraph]:
    """The npm gateway over govgraph and the second subgraph, composed from govgraph's
    ``_service { sdl }``."""
    node = npm_ci(HERE, "the federation tests")
    folder = tmp_path_factory.mktemp("supergraph")
    headers = federated.headers("caseworker", purpose="case-review")
    async with httpx.AsyncClient(base_url=federated.base_url, timeout=30) as client:
        r = await client.post("/graphql", json={"query": "{ _service { sdl } }"}, headers=headers)
    assert r.status_code == 200, r.text
    (folder / "govgraph.graphql").write_text(r.json()["data"]["_service"]["sdl"])
    citizens = await _citizen_ids(federated.settings.gateway.index_url, 3)
    env = {
        **os.environ,
        "GOVGRAPH_SDL": str(folder / "govgraph.graphql"),
        "GOVGRAPH_URL": f"{federated.base_url}/graphql",
        "CITIZEN_IDS": json.dumps(citizens),
    }
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "supergraph.mjs"),
        cwd=HERE,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        started: dict[str, Any] = {}
        seen: list[str] = []
        while "gateway" not in started:
            line = (await asyncio.wait_for(proc.stdout.readline(), timeout=120)).decode()
            if not line:
                errors = (await proc.stderr.read()).decode(errors="replace")
                raise AssertionError(f"the supergraph did not start: {seen} {errors[-3000:]}")
            seen.append(line)
            if line.startswith('{"gateway"'):
                started = json.loads(line)
        yield Supergraph(started["gateway"], started["subgraph"], citizens, federated)
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout=20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
