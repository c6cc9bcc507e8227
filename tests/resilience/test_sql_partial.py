"""A SQL source that cannot answer nulls only its own fields, with a typed error."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningGateway
from tests.resilience.stack import assert_partial, me, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _passports_copy(data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "passports-db" / "passports.sqlite"
    target.parent.mkdir()
    shutil.copyfile(data_dir / "passports" / "passports.sqlite", target)
    return target


def _break(kind: str, db: Path) -> dict[str, Any]:
    """Break the passports database copy as ``kind`` says; return the source's overrides."""
    url = {"options": {"url": f"sqlite+aiosqlite:///{db}"}}
    if kind == "dead":
        db.parent.rename(db.parent.with_name("moved-away"))
    elif kind == "corrupt":
        db.write_bytes(b"this is not a database file" * 200)
    elif kind == "slow":
        return {**url, "chaos": {"latency_ms": 2000}}
    return url


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("dead", "UPSTREAM_UNAVAILABLE"),
        ("corrupt", "UPSTREAM_UNAVAILABLE"),
        ("slow", "UPSTREAM_TIMEOUT"),
    ],
)
async def test_passports_failure_gives_typed_partial_result(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    tmp_path: Path,
    kind: str,
    code: str,
) -> None:
    """A missing, corrupt or slow SQLite database nulls `passport` alone with its code."""
    overrides = _break(kind, _passports_copy(gateway.data_dir, tmp_path))
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, sources={"passports": overrides}
    )
    async with serve(settings) as served:
        body = await me(served, gateway, citizen)
    assert_partial(body, baseline, "passports", code)


async def test_dead_database_opens_the_breaker_and_recovers(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    tmp_path: Path,
) -> None:
    """A database that stays away opens the breaker (CIRCUIT_OPEN); once back, data returns."""
    db = _passports_copy(gateway.data_dir, tmp_path)
    overrides = _break("dead", db)
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, sources={"passports": overrides}
    )
    async with serve(settings) as served:
        await me(served, gateway, citizen)
        body = await me(served, gateway, citizen)
        assert_partial(body, baseline, "passports", "CIRCUIT_OPEN")
        db.parent.with_name("moved-away").rename(db.parent)
        for _ in range(50):
            body = await me(served, gateway, citizen)
            if body["data"]["me"]["passport"] is not None:
                break
            await asyncio.sleep(0.1)
        assert "errors" not in body, body["errors"]
        assert body["data"]["me"] == baseline
