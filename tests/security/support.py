"""Helpers for security tests: serving an app on loopback, source-less gateway settings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from govgraph import demo
from govgraph.idp import DemoIdentityProvider
from govgraph.index import CitizenProfile, IndexChanges
from govgraph.settings import Settings, settings_from_mapping


@dataclass
class BareGateway:
    """A gateway without legacy sources, with its own identity provider."""

    base_url: str
    settings: Settings
    idp: DemoIdentityProvider
    app: Starlette

    def headers(
        self, role: str = "citizen", citizen_id: str | None = None, **kw: Any
    ) -> dict[str, str]:
        if role == "caseworker":
            kw.setdefault("purpose", "case-review")
        if role == "citizen" and citizen_id is None:
            citizen_id = "cz_bare"
        return {"Authorization": f"Bearer {self.idp.token(role=role, citizen_id=citizen_id, **kw)}"}


async def _serve(app: Any, **options: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    from govgraph.serve import wait_started

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        loop="asyncio",
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    return server, task, port


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on an ephemeral loopback port (``options`` go to ``uvicorn.Config``);
    yield its base URL."""
    server, task, port = await _serve(app, **options)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def run_sql(url: str, *statements: str) -> None:
    """Run ``statements`` against the store at ``url`` in one transaction (as an operator or
    an attacker with database access would, behind the gateway's back)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def bare_settings(data_dir: Path, **gateway: Any) -> Settings:
    """Settings for a source-less gateway over ``data_dir`` (demo keys and index there)."""
    auth = gateway.pop("auth", {})
    mapping = {
        "gateway": {
            "profile": "demo",
            "index_url": f"sqlite+aiosqlite:///{data_dir / 'index.sqlite'}",
            "data_dir": str(data_dir),
            "rate_limit": "none",
            "auth_failure_limit": "none",
            **gateway,
        },
        "auth": {
            "issuer": demo.DEMO_ISSUER,
            "audience": demo.DEMO_AUDIENCE,
            "jwks_file": str(data_dir / "keys" / "jwks.json"),
            **auth,
        },
        "sources": {},
    }
    return settings_from_mapping(mapping, environ={})


BareFactory = Callable[..., Awaitable[BareGateway]]


async def add_citizen(gw: BareGateway, citizen_id: str) -> None:
    """Put a synthetic citizen with ``citizen_id`` into the running gateway's citizen index."""
    profile = CitizenProfile(
        citizen_id,
        "Ada",
        "",
        "Testperson",
        date(1980, 1, 2),
        ("1 Test Row",),
        "Millbrook",
        "MB1 1AA",
        "passports",
    )
    await gw.app.state.gateway.index.apply(IndexChanges(new_citizens=[profile]))


REDIS = "redis://127.0.0.1:6379"


def redis_or_skip() -> str:
    """The local Redis URL; the test is skipped when Redis is not running (failed under CI)."""
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis is not reachable at {REDIS} ({type(exc).__name__})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()
    return REDIS


def unique_prefix() -> str:
    """A Redis key prefix no other test run shares."""
    return f"govgraph-test-{uuid.uuid4().hex}"
