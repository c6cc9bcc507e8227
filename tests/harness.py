"""The running gateway the end-to-end tests talk to, and the one builder of its fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio

from govgraph.idp import DemoIdentityProvider
from govgraph.settings import Settings

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass
class RunningGateway:
    """A gateway served over loopback HTTP, with its data and identity provider."""

    base_url: str
    settings: Settings
    data_dir: Path
    idp: DemoIdentityProvider
    population: Any

    def token(self, role: str, citizen_id: str | None = None, **kw: Any) -> str:
        if role == "caseworker":
            kw.setdefault("purpose", "case-review")
        return self.idp.token(role=role, citizen_id=citizen_id, **kw)

    def headers(
        self, role: str = "citizen", citizen_id: str | None = None, **kw: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, citizen_id, **kw)}"}


@contextlib.asynccontextmanager
async def running_gateway(
    data_dir: Path, tax_url: str, population: Any = None
) -> AsyncIterator[RunningGateway]:
    """Configure, link and serve a gateway over ``data_dir`` on a free loopback port."""
    from govgraph import demo
    from govgraph.commands.link import link_from_settings
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    idp = demo.identity_provider(data_dir)
    config = data_dir / "govgraph.toml"
    demo.write_config(config, demo.config_mapping(data_dir, tax_url, port=0))
    settings = load_settings(config)
    await link_from_settings(settings)
    server = build_server(settings, port=0)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    try:
        yield RunningGateway(
            base_url=f"http://127.0.0.1:{port}",
            settings=settings,
            data_dir=data_dir,
            idp=idp,
            population=population,
        )
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def gateway_copy(
    gateway: RunningGateway, tax_url: str, folder: Path, **options: Any
) -> AsyncIterator[RunningGateway]:
    """Another gateway over ``gateway``'s departments with a copy of its citizen index in
    ``folder``, calling the tax service at ``tax_url`` (whose faults a
    test may then change without touching anyone else); ``options`` are extra ``[gateway]``
    settings (e.g. ``federation=True``)."""
    import shutil

    from govgraph import demo
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    shutil.copy(gateway.data_dir / "index.sqlite", folder / "index.sqlite")
    mapping = demo.config_mapping(gateway.data_dir, tax_url, port=0)
    mapping["gateway"]["index_url"] = f"sqlite+aiosqlite:///{folder / 'index.sqlite'}"
    mapping["gateway"].update(options)
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


def _takes(*params: str) -> Callable[[_F], _F]:
    """Declare the fixtures a builder-made fixture takes, by name (its body reads them from
    keyword arguments), so that pytest sets them up first, async ones included."""

    def declare(function: _F) -> _F:
        function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in params]
        )
        return function

    return declare


def gateway_fixtures(
    prefix: str,
    *,
    people: int,
    seed: int,
    data: str,
    client_timeout: float | None = None,
) -> tuple[Any, ...]:
    """Session fixtures of one gateway over its own generated data, named after ``prefix``:
    ``{prefix}population`` (``people`` people from ``seed``), ``data`` (the population written
    to a fresh folder), ``{prefix}tax_url`` (the simulated tax service over it) and
    ``{prefix}gateway`` (linked and served); with ``client_timeout``, also ``{prefix}client``
    (an HTTP client of the gateway, one per test). A conftest binds the returned fixtures to
    module names so that pytest finds them."""
    population, tax_url = f"{prefix}population", f"{prefix}tax_url"
    gateway, client = f"{prefix}gateway", f"{prefix}client"

    @pytest.fixture(scope="session", name=population)
    def population_fixture() -> Any:
        from fixtures.generate import generate

        return generate(people=people, seed=seed, noise="realistic", as_of=date.today())

    @pytest.fixture(scope="session", name=data)
    @_takes("tmp_path_factory", population)
    def data_fixture(**given: Any) -> Path:
        from fixtures.generate import write_all

        data_dir: Path = given["tmp_path_factory"].mktemp(data.replace("_", "-"))
        write_all(given[population], data_dir)
        return data_dir

    @pytest.fixture(scope="session", name=tax_url)
    @_takes(data)
    def tax_url_fixture(**given: Any) -> Iterator[str]:
        from govgraph import demo

        with demo.tax_service(given[data]) as url:
            yield url

    @pytest_asyncio.fixture(scope="session", loop_scope="session", name=gateway)
    @_takes(data, tax_url, population)
    async def gateway_fixture(**given: Any) -> AsyncIterator[RunningGateway]:
        async with running_gateway(given[data], given[tax_url], given[population]) as running:
            yield running

    built: list[Any] = [population_fixture, data_fixture, tax_url_fixture, gateway_fixture]
    if client_timeout is not None:

        @pytest_asyncio.fixture(loop_scope="session", name=client)
        @_takes(gateway)
        async def client_fixture(**given: Any) -> AsyncIterator[httpx.AsyncClient]:
            base_url = given[gateway].base_url
            async with httpx.AsyncClient(base_url=base_url, timeout=client_timeout) as c:
                yield c

        built.append(client_fixture)
    return tuple(built)


def npm_ci(folder: Path, who: str) -> str:
    """``node``, after ``npm ci`` in ``folder`` (once per lock file: a stamp in
    ``node_modules`` records the lock it installed). Without Node 20+ and npm the calling test
    skips, except under ``CI=true`` where it fails; ``who`` names the tests in that message."""
    import hashlib
    import os
    import shutil
    import subprocess

    node, npm = shutil.which("node"), shutil.which("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True) if node else None
    major = version.stdout.strip().lstrip("v").partition(".")[0] if version else ""
    if node is None or npm is None or not major.isdigit() or int(major) < 20:
        message = f"Node.js 20+ with npm is not installed: {who} need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    stamp = folder / "node_modules" / ".govgraph-lock-sha256"
    lock = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != lock:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        stamp.write_text(lock + "\n")
    return node


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class GatewayProcess:
    """``govgraph serve --config CONFIG`` in a child process (``env`` added to this process's
    environment), its output appended to ``log``."""

    def __init__(
        self,
        name: str,
        config: Path,
        port: int,
        log: Path,
        env: dict[str, str],
        start_timeout_s: float,
    ) -> None:
        import os

        self.name = name
        self.config = config
        self.port = port
        self.log = log
        self.env = {**os.environ, **env}
        self.start_timeout_s = start_timeout_s
        self.proc: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start the child (without waiting for it to answer)."""
        import subprocess
        import sys

        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "govgraph.cli", "serve", "--config", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )

    def wait_started(self) -> None:
        """Wait until ``/healthz`` answers 200; fail with the log's tail if the child exits."""
        import time

        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gateway {self.name} did not start")

    def kill(self) -> None:
        """SIGKILL: the child gets no chance to clean up."""
        import signal

        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        import subprocess

        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
