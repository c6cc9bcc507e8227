"""Security test fixtures: small gateways (no legacy sources) served over loopback HTTP.

The end-to-end ``gateway`` fixture (tests/conftest.py) serves the whole simulated government;
these start in a fraction of a second for checks that need no department data: tokens,
operation limits, persisted operations, rate limits and the demo identity provider.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from govgraph import demo
from govgraph.idp import DemoIdentityProvider, idp_routes
from govgraph.index import CitizenIndex
from tests.security.support import BareFactory, BareGateway, bare_settings, serving


@pytest_asyncio.fixture(loop_scope="session")
async def bare_gateway_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[BareFactory]:
    """Start source-less gateways with settings overrides (``server`` holds uvicorn options);
    all stop at the test's end."""
    stack = contextlib.AsyncExitStack()

    async def start(server: dict[str, Any] | None = None, **gateway: Any) -> BareGateway:
        from govgraph.app import create_app

        data_dir = tmp_path_factory.mktemp("bare")
        idp = demo.identity_provider(data_dir)
        settings = bare_settings(data_dir, **gateway)
        app = create_app(settings)
        url = await stack.enter_async_context(serving(app, **(server or {})))
        return BareGateway(base_url=url, settings=settings, idp=idp, app=app)

    async with stack:
        yield start


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bare(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BareGateway]:
    """One shared source-less gateway with default settings (rate limit off)."""
    from govgraph.app import create_app

    data_dir = tmp_path_factory.mktemp("bare-shared")
    idp = demo.identity_provider(data_dir)
    settings = bare_settings(data_dir)
    app = create_app(settings)
    async with serving(app) as url:
        yield BareGateway(base_url=url, settings=settings, idp=idp, app=app)


@pytest_asyncio.fixture(loop_scope="session")
async def bare_client(bare: BareGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=bare.base_url, timeout=30) as c:
        yield c


@pytest_asyncio.fixture(loop_scope="session")
async def idp_server(tmp_path: Path) -> AsyncIterator[tuple[DemoIdentityProvider, str]]:
    """A stand-alone demo identity provider over HTTP (discovery, JWKS, tokens) with an empty
    citizen index of its own."""
    idp = demo.identity_provider(tmp_path)
    index = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'index.sqlite'}")
    await index.open()
    try:
        async with serving(Starlette(routes=idp_routes(idp, index))) as url:
            yield idp, url
    finally:
        await index.aclose()
