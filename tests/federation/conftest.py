"""Fixtures of the federation tests: govgraph as a Federation v2 subgraph, and a real npm
composition and gateway (pinned in this folder's ``package-lock.json``) in front of it and a
second subgraph."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from tests.harness import RunningGateway

HERE = Path(__file__).resolve().parent
_STAMP = HERE / "node_modules" / ".govgraph-lock-sha256"


@dataclass(frozen=True)
class Supergraph:
    """The npm gateway's URL and the citizens the second subgraph knows."""

    gateway: str
    subgraph: str
    citizens: list[str]
    """Global ids of the citizens the second subgraph holds a preference for, in order."""
    govgraph: RunningGateway


def _node() -> str:
    """``node`` after ``npm ci`` in this folder (once per lock file). Without Node 20+ and npm
    the tests skip, except under ``CI=true`` where they fail."""
    node, npm = shutil.which("node"), shutil.which("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True) if node else None
    major = version.stdout.strip().lstrip("v").partition(".")[0] if version else ""
    if node is None or npm is None or not major.isdigit() or int(major) < 20:
        message = "Node.js 20+ with npm is not installed: the federation tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    lock = hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()
    if not _STAMP.exists() or _STAMP.read_text().strip() != lock:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        _STAMP.write_text(lock + "\n")
    return node


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def federated(
    gateway: RunningGateway, tax_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    """govgraph with ``gateway.federation`` on, over the demo data (a copy of its index)."""
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    folder = tmp_path_factory.mktemp("federated")
    shutil.copy(gateway.data_dir / "index.sqlite", folder / "index.sqlite")
    mapping = demo.config_mapping(gateway.data_dir, tax_url, port=0)
    mapping["gateway"]["index_url"] = f"sqlite+aiosqlite:///{folder / 'index.sqlite'}"
    mapping["gateway"]["federation"] = True
    config = folder / "govgraph.toml"
    demo.write_config(config, mapping)
    settings = load_settings(config)
    server = build_server(settings, port=0)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    try:
        yield RunningGateway(
            base_url=f"http://127.0.0.1:{port}",
            settings=settings,
            data_dir=gateway.data_dir,
            idp=gateway.idp,
            population=gateway.population,
        )
    finally:
        server.should_exit = True
        await task


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
    node = _node()
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
