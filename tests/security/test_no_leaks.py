"""No leaks: responses and logs carry no personal data, tokens, SQL, envelopes or tracebacks.

A gateway over the demo data, with the tax service answering faults (then dropping
connections) and the passport database no longer matching its mapping, answers a varied run of
requests while every log record is captured; the records and the responses are then searched
for the personas' names and identifiers and for the tokens used.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from govgraph.app import create_app
from govgraph.index import CitizenIndex
from govgraph.settings import settings_from_mapping
from resolvers.ids import encode_id
from tests.harness import RunningGateway
from tests.security.support import serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = """{ me { id name { fullName } dateOfBirth address { lines postcode } departments
  tax { taxCode } benefits { reference } passport { number } drivingLicence { number }
  vehicles { registration } parkingFines { pcn } obligations { reference } documents { reference }
  tasks { title } accessLog { role } } }"""
BY_ID = """query($id: ID!) { citizen(id: $id) { name { fullName } dateOfBirth passport { number }
  drivingLicence { number } tax { taxCode } benefits { reference } documents { reference } } }"""
PAGE = """{ citizens(first: 25) { edges { node {
  name { fullName } dateOfBirth documents { reference } } } } }"""


def _broken_passports(data_dir: Path, target: Path) -> str:
    source = data_dir / "passports" / "passports.sqlite"
    shutil.copy(source, target)
    with sqlite3.connect(target) as conn:
        conn.execute("ALTER TABLE PSPT_MSTR RENAME TO PSPT_MSTR_OLD")
    return f"sqlite+aiosqlite:///{target}"


@pytest_asyncio.fixture(loop_scope="session")
async def failing_gateway(
    gateway: RunningGateway, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """A gateway over the linked demo data whose tax service fails and whose passport
    database has drifted from its mapping; yields its base URL and the tax service's."""
    with demo.tax_service(gateway.data_dir) as tax_url:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(f"{tax_url}/admin/faults", json={"mode": "failing"})
            assert r.status_code == 200, r.text
        mapping = demo.config_mapping(gateway.data_dir, tax_url, port=0)
        mapping["sources"]["passports"]["options"]["url"] = _broken_passports(
            gateway.data_dir, tmp_path / "passports.sqlite"
        )
        mapping["gateway"]["ledger_url"] = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite'}"
        mapping["gateway"]["rate_limit"] = "none"
        settings = settings_from_mapping(mapping, environ={})
        async with serving(create_app(settings)) as url:
            yield url, tax_url


def _secrets(population: Any) -> list[str]:
    out: list[str] = []
    for p in population.people:
        out.append(f"{p.given_name} {p.surname}")
        out.extend(x for x in (p.nino,) if x)
        if p.passport is not None:
            out.append(p.passport.passport_number)
        if p.licence is not None:
            out.append(p.licence.licence_number)
    return out


async def _citizens(gateway: RunningGateway, n: int) -> list[str]:
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        counts: dict[str, int] = {}
        for link in await index.all_links():
            counts[link.citizen_id] = counts.get(link.citizen_id, 0) + 1
    finally:
        await index.aclose()
    return sorted(counts, key=lambda c: (-counts[c], c))[:n]


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), str(record.__dict__)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_logs_and_responses_carry_no_personal_data(
    gateway: RunningGateway,
    failing_gateway: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Across reads, refusals, bad input, bad tokens and failing departments, no log record
    and no response contains a persona's name or identifier, a token, SQL, an envelope or a
    traceback."""
    base_url, tax_url = failing_gateway
    people = await _citizens(gateway, 6)
    tokens: list[str] = []

    def auth(role: str, cid: str | None = None, **kw: Any) -> dict[str, str]:
        token = gateway.token(role, cid, **kw)
        tokens.append(token)
        return {"Authorization": f"Bearer {token}"}

    forged = gateway.token("citizen", people[0]).rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    tokens.append(forged)
    persona = gateway.population.people[0]
    bodies: list[str] = []
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def post(payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            r = await client.post("/graphql", json=payload, headers=headers or {})
            assert r.status_code < 500 or r.status_code == 503, r.text
            bodies.append(r.text)

        for cid in people:
            await post({"query": ME}, auth("citizen", cid))
            await post(
                {"query": BY_ID, "variables": {"id": encode_id("Citizen", cid)}}, auth("caseworker")
            )
        await post({"query": PAGE}, auth("caseworker"))
        await post(
            {"query": BY_ID, "variables": {"id": encode_id("Citizen", people[1])}},
            auth("citizen", people[0]),
        )
        await post(
            {
                "query": "query($id: ID!) { node(id: $id) { id } }",
                "variables": {"id": persona.nino or "AB123456C"},
            },
            auth("citizen", people[0]),
        )
        await post({"query": "{ me { name } }"}, auth("analyst"))
        await post({"query": "{ me { " + (persona.nino or "x") + " } }"})
        await post({"query": ME}, {"Authorization": f"Bearer {forged}"})
        await post({"query": ME}, auth("citizen", people[0], lifetime_s=-600))
        async with httpx.AsyncClient(timeout=10) as admin:
            await admin.post(f"{tax_url}/admin/faults", json={"mode": "drop"})
        for cid in people[:3]:
            await post({"query": ME}, auth("citizen", cid))
    records = [_record_text(r) for r in caplog.records]
    assert records, "the run should have logged the departments' failures"
    logs = "\n".join(records)
    responses = "\n".join(bodies)
    for secret in _secrets(gateway.population) + tokens:
        culprits = {r.name for r in caplog.records if secret in _record_text(r)}
        assert secret not in logs, f"log records of {sorted(culprits)} contain {secret[:12]}..."
    for text in ("Traceback", "SELECT ", "Envelope", "[SQL", "eyJ"):
        culprits = {r.name for r in caplog.records if text in _record_text(r)}
        assert text not in logs, f"log records of {sorted(culprits)} contain {text!r}"
        assert text not in responses, text
    for token in tokens:
        assert token not in responses
