"""A mainframe batch-file source that cannot serve nulls only `benefits`, with a typed error."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningGateway
from tests.resilience.stack import assert_partial, me, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _benefits_folder(data_dir: Path, tmp_path: Path, kind: str) -> dict[str, Any]:
    """A benefits folder broken as ``kind`` says; return the source's overrides."""
    source = data_dir / "benefits"
    folder = tmp_path / "benefits"
    folder.mkdir()
    shutil.copyfile(source / "BENEFITS.cpy", folder / "BENEFITS.cpy")
    generation = next(source.glob("BENEFITS.D*"))
    overrides: dict[str, Any] = {"options": {"directory": str(folder)}}
    if kind == "corrupt":
        (folder / generation.name).write_bytes(b"\x00\x17garbage" * 500)
    elif kind == "slow":
        shutil.copyfile(generation, folder / generation.name)
        overrides["chaos"] = {"latency_ms": 2000}
    return overrides


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("missing", "UPSTREAM_UNAVAILABLE"),
        ("corrupt", "UPSTREAM_UNAVAILABLE"),
        ("slow", "UPSTREAM_TIMEOUT"),
    ],
)
async def test_benefits_failure_gives_typed_partial_result(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    tmp_path: Path,
    kind: str,
    code: str,
) -> None:
    """A missing, corrupt or slow batch file nulls `benefits` alone with its code."""
    overrides = _benefits_folder(gateway.data_dir, tmp_path, kind)
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, sources={"benefits": overrides}
    )
    async with serve(settings) as served:
        body = await me(served, gateway, citizen)
        assert_partial(body, baseline, "benefits", code)
        body = await me(served, gateway, citizen)
    assert_partial(body, baseline, "benefits", "CIRCUIT_OPEN")
