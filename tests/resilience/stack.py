"""Gateways with a test resilience policy, served on loopback, and the queries the tests send."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from govgraph import demo
from govgraph.index import CitizenIndex
from govgraph.serve import build_server, wait_started
from govgraph.settings import Settings, settings_from_mapping
from govgraph.sources import Source
from tests.api.helpers import persona
from tests.harness import RunningGateway

DEPARTMENTS = ("tax", "benefits", "passport", "drivingLicence", "vehicles", "parkingFines")
"""The `me` fields of each department, by the source that serves them."""

FIELDS_OF = {
    "tax": ("tax",),
    "benefits": ("benefits",),
    "passports": ("passport",),
    "vehicles": ("drivingLicence", "vehicles"),
    "parking": ("parkingFines",),
}

ME = """
query Me {
  me {
    id
    tax { taxCode balanceOwed { amount } }
    benefits { reference status }
    passport { number expiryDate }
    drivingLicence { number }
    vehicles { registration }
    parkingFines { pcn }
  }
}
"""

FAST_POLICY: dict[str, Any] = {
    "timeout_s": 1.5,
    "read_timeout_s": 0.5,
    "connect_timeout_s": 1.0,
    "health_timeout_s": 0.5,
    "retries": {
        "max_retries": 1,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "max_retry_after_s": 0.5,
    },
    "breaker": {"failure_threshold": 2, "recovery_s": 0.3},
}
"""Short timeouts, one retry and a quick breaker, so failure tests run in well under a second."""


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def settings_for(
    data_dir: Path,
    tax_url: str,
    index_url: str,
    *,
    policy: dict[str, Any] | None = None,
    sources: dict[str, dict[str, Any]] | None = None,
    request_timeout_s: float = 3.0,
    sections: dict[str, Any] | None = None,
) -> Settings:
    """Demo settings with ``policy`` on every source and ``sources`` merged over the blocks."""
    mapping = demo.config_mapping(data_dir, tax_url, port=0)
    mapping["gateway"]["index_url"] = index_url
    mapping["gateway"]["request_timeout_s"] = request_timeout_s
    for name, block in mapping["sources"].items():
        block.update(copy.deepcopy(policy if policy is not None else FAST_POLICY))
        for key, value in (sources or {}).get(name, {}).items():
            if key == "options":
                block["options"] = {**block["options"], **value}
            else:
                block[key] = value
    mapping.update(sections or {})
    return settings_from_mapping(mapping, environ={})


@dataclass
class Served:
    """A gateway running in this process, with its sources at hand."""

    base_url: str
    sources: dict[str, Source]
    client: httpx.AsyncClient
    app: Any


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Served]:
    """Run a gateway for ``settings`` on an ephemeral loopback port until the block ends."""
    server = build_server(settings, port=0)
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
        gateway = server.config.app.state.gateway
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            yield Served(base, gateway.sources, client, server.config.app)
    finally:
        server.should_exit = True
        await task


def persona_keys(population: Any) -> dict[str, list[str]]:
    """Each source's keys of :func:`persona`."""
    person = persona(population)
    return {
        "tax": [person.tax.nino],
        "benefits": sorted({c.nino for c in person.benefits}),
        "passports": [person.passport.passport_number],
        "vehicles": [person.licence.licence_number],
        "parking": sorted({n.vrm for n in person.penalty_notices}),
    }


async def write_index(index_url: str, keys: dict[str, list[str]]) -> str:
    """Create a citizen index holding one citizen linked to ``keys``; return the citizen id."""
    index = CitizenIndex(index_url)
    await index.open()
    try:
        cid: str | None = None
        for source, source_keys in keys.items():
            for key in source_keys:
                cid = await index.link_by_caseworker(cid, source, key)
    finally:
        await index.aclose()
    assert cid is not None
    return cid


async def me(served: Served, running: RunningGateway, cid: str) -> dict[str, Any]:
    """The `me` answer (status 200 checked)."""
    response = await served.client.post(
        "/graphql", json={"query": ME}, headers=running.headers("citizen", cid)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def errors_for(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """Errors reported at ``me.<field>``."""
    return [e for e in body.get("errors", []) if e.get("path") == ["me", field]]


def assert_partial(
    body: dict[str, Any], baseline: dict[str, Any], failed: str, code: str
) -> dict[str, Any]:
    """``failed``'s fields are null with a typed error; every other department is complete."""
    return assert_failed(body, baseline, {failed: code})[failed]


def assert_failed(
    body: dict[str, Any], baseline: dict[str, Any], failed: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Each failed source's fields are null with its code; every other department is complete.

    Returns each failed source's ``extensions``.
    """
    data = body["data"]["me"]
    assert data is not None, body
    found: dict[str, dict[str, Any]] = {}
    for source, fields in FIELDS_OF.items():
        for field in fields:
            if source in failed:
                assert data[field] is None, (field, data[field])
                errs = errors_for(body, field)
                assert errs, (field, body.get("errors"))
                ext = errs[0]["extensions"]
                assert ext["code"] == failed[source], ext
                assert ext["service"] == source, ext
                assert ext["retryable"] is True, ext
                found[source] = ext
            else:
                assert data[field] == baseline[field], (field, data[field])
                assert not errors_for(body, field), body.get("errors")
    return found
