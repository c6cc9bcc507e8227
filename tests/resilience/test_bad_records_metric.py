"""Bad records of a batch file, counted by its health check, reach ``/metrics``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from fixtures.benefits import source_options
from legacy_connectors.flatfile import FlatFileSettings
from legacy_connectors.flatfile.schema import schema_from_settings
from tests.harness import RunningGateway
from tests.resilience.stack import errors_for, me, persona_keys, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _corrupt_claim(data_dir: Path, tmp_path: Path, nino: str) -> dict[str, Any]:
    """A copy of the benefits folder where ``nino``'s first claim has an undecodable
    START-DATE (packed decimal with no valid nibble); return the source's overrides."""
    source = data_dir / "benefits"
    folder = tmp_path / "benefits"
    shutil.copytree(source, folder)
    settings = FlatFileSettings.model_validate(source_options(data_dir))
    schema = schema_from_settings(settings)
    detail = schema.by_segment[schema.segment_raw["D"]]
    nino_at = schema.field(detail, "NINO").offset
    start = schema.field(detail, "START-DATE")
    path = next(folder.glob("BENEFITS.D*"))
    raw = bytearray(path.read_bytes())
    record = raw.index(nino.encode("cp037")) - nino_at
    at = record + start.offset
    raw[at : at + start.size] = b"\xff" * start.size
    path.write_bytes(bytes(raw))
    return {"options": {"directory": str(folder), "copybook": str(folder / "BENEFITS.cpy")}}


def _gauge(metrics: str, name: str, source: str) -> float | None:
    prefix = f'{name}{{source="{source}"}} '
    for line in metrics.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return None


async def test_bad_records_gauge_follows_health(
    gateway: RunningGateway, faulty_tax: str, index_url: str, citizen: str, tmp_path: Path
) -> None:
    """After a corrupt claim is read, `/readyz` and `/metrics` report one bad benefits record."""
    [nino] = persona_keys(gateway.population)["benefits"][:1]
    overrides = _corrupt_claim(gateway.data_dir, tmp_path, nino)
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, sources={"benefits": overrides}
    )
    async with serve(settings) as served:
        ready = (await served.client.get("/readyz")).json()
        assert ready["sources"]["benefits"]["status"] == "up"
        metrics = (await served.client.get("/metrics")).text
        assert _gauge(metrics, "govgraph_source_bad_records", "benefits") == 0
        assert _gauge(metrics, "govgraph_source_rejected_files", "benefits") == 0
        assert _gauge(metrics, "govgraph_source_bad_records", "tax") is None
        body = await me(served, gateway, citizen)
        [error] = errors_for(body, "benefits")
        assert error["extensions"]["code"] == "CORRUPT_RECORD"
        ready = (await served.client.get("/readyz")).json()
        assert ready["sources"]["benefits"]["status"] == "degraded"
        metrics = (await served.client.get("/metrics")).text
    assert _gauge(metrics, "govgraph_source_bad_records", "benefits") == 1
