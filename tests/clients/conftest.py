"""Fixtures of the client conformance tests: the npm tools pinned in this folder, and a gateway
with a tax service of its own (whose faults these tests change)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from govgraph import demo
from tests.clients.tools import HERE, NodeTools
from tests.harness import RunningGateway, gateway_copy

_STAMP = HERE / "node_modules" / ".govgraph-lock-sha256"


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """Node and the pinned client tools; ``npm ci`` runs once when ``node_modules`` is missing
    or was installed from another lock file. Without Node 20+ and npm the tests skip, except
    under ``CI=true`` where they fail."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None or _node_major(node) < 20:
        message = "Node.js 20+ with npm is not installed: the client conformance tests need it"
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
    return NodeTools(node=node, folder=HERE)


def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    major = version.stdout.strip().lstrip("v").partition(".")[0]
    return int(major) if major.isdigit() else 0


@pytest.fixture(scope="module")
def clients_tax_url(demo_data: Path) -> Iterator[str]:
    """A simulated tax service only these tests use, so its faults touch nobody else."""
    with demo.tax_service(demo_data) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def clients_gateway(
    gateway: RunningGateway, clients_tax_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    """A gateway over the session's departments, calling the tax service above."""
    async with gateway_copy(gateway, clients_tax_url, tmp_path_factory.mktemp("clients")) as gw:
        yield gw
