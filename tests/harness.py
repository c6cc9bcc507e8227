"""The running gateway the end-to-end tests talk to."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgraph.idp import DemoIdentityProvider
from govgraph.settings import Settings


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
    gateway: RunningGateway, tax_url: str, folder: Path
) -> AsyncIterator[RunningGateway]:
    """Another gateway over ``gateway``'s departments with a copy of its citizen index in
    ``folder``, calling the tax service at ``tax_url`` (whose faults a
    test may then change without touching anyone else)."""
    import shutil

    from govgraph import demo
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    shutil.copy(gateway.data_dir / "index.sqlite", folder / "index.sqlite")
    mapping = demo.config_mapping(gateway.data_dir, tax_url, port=0)
    mapping["gateway"]["index_url"] = f"sqlite+aiosqlite:///{folder / 'index.sqlite'}"
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
