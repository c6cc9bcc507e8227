"""Tell us once survives a crash: the gateway is killed with SIGKILL mid fan-out and restarted.

The gateway runs as a real subprocess (``govgraph serve --config``) over its own generated
data, with the simulated tax service running. Deliveries are made one at a time and the
worker holds each department's answer for a moment before recording it, so the test can kill
the gateway at the worst moment: one department has applied the change but the outbox does
not know yet, and other departments have not been told at all. After a restart every
department holds the change exactly once in effect (the resent delivery is a duplicate the
department ignores) and none is missed.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.writes import commands, input_dir
from govgraph import demo
from resolvers.ids import decode_id
from tests.harness import GatewayProcess, free_port

pytestmark = pytest.mark.slow

CHANGE = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) { id }
}
"""
TRACK = """
query Track($id: ID!) { addressChange(id: $id) { complete deliveries { department status } } }
"""
WORKER_ENV = {
    "GOVGRAPH__OUTBOX__CONCURRENCY": "1",
    "GOVGRAPH__OUTBOX__DELAY_S": "0.3",
    "GOVGRAPH__OUTBOX__HOLD_S": "2.0",
    "GOVGRAPH__OUTBOX__LEASE_S": "4",
    "GOVGRAPH__OUTBOX__POLL_S": "0.2",
    "GOVGRAPH__OUTBOX__BACKOFF_INITIAL_S": "0.5",
}


@pytest.fixture(scope="module")
def crash_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import asyncio

    from fixtures.generate import generate, write_all
    from govgraph.commands.link import link_from_settings
    from govgraph.settings import load_settings

    population = generate(people=80, seed=41, noise="realistic", as_of=date.today())
    data_dir = tmp_path_factory.mktemp("crash-data")
    write_all(population, data_dir)
    idp = demo.identity_provider(data_dir)
    with demo.tax_service(data_dir) as tax_url:
        port = free_port()
        config = data_dir / "govgraph.toml"
        demo.write_config(config, demo.config_mapping(data_dir, tax_url, port=port))
        asyncio.run(link_from_settings(load_settings(config)))
        gateway = GatewayProcess(
            "gateway", config, port, data_dir / "gateway.log", WORKER_ENV, start_timeout_s=60
        )
        try:
            yield {"data": data_dir, "population": population, "idp": idp, "gateway": gateway}
        finally:
            gateway.stop()


def _deliveries(data_dir: Path, change_id: str) -> list[dict[str, Any]]:
    with sqlite3.connect(data_dir / "index.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT * FROM gg_deliveries WHERE change_id = ?", (decode_id(change_id)[2],)
        ).fetchall()
    return [dict(r) for r in rows]


def _journal_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        try:
            return [r[0] for r in conn.execute('SELECT "DELIVERY_ID" FROM "GG_DELIVERY_LOG"')]
        except sqlite3.OperationalError:
            return []


def applied(data_dir: Path, delivery: dict[str, Any]) -> int:
    """How many times the department's own store holds ``delivery`` (by its delivery id)."""
    delivery_id = delivery["id"]
    if delivery["source"] == "tax":
        log = data_dir / "tax" / "address_changes.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return sum(json.loads(line)["DeliveryId"] == delivery_id for line in lines if line)
    if delivery["source"] == "benefits":
        wanted = delivery_id.encode("cp037")
        prefix = commands("benefits", data_dir)["change_address"]["file_prefix"]
        files = sorted(input_dir(data_dir).glob(f"{prefix}*"))
        return sum(f.read_bytes().count(wanted) for f in files)
    if delivery["source"] == "passports":
        return _journal_ids(data_dir / "passports" / "passports.sqlite").count(delivery_id)
    files = sorted((data_dir / "parking").glob("*.sqlite"))
    return sum(_journal_ids(f).count(delivery_id) for f in files)


def _persona(world: dict[str, Any]) -> tuple[Any, str]:
    import asyncio

    from tests.api.helpers import citizen_id_for

    for person in world["population"].people:
        if person.tax and person.benefits and person.passport and person.penalty_notices:
            cid = asyncio.run(
                citizen_id_for(
                    f"sqlite+aiosqlite:///{world['data'] / 'index.sqlite'}", "tax", person.tax.nino
                )
            )
            if cid is not None:
                return person, cid
    raise AssertionError("nobody is held by every department")


def test_sigkill_mid_fanout_then_restart_delivers_everything_exactly_once(
    crash_world: dict[str, Any],
) -> None:
    """Killed while a department's answer is unrecorded: after restart all have it once."""
    data_dir: Path = crash_world["data"]
    gateway: GatewayProcess = crash_world["gateway"]
    person, cid = _persona(crash_world)
    token = crash_world["idp"].token(role="citizen", citizen_id=cid)
    headers = {"Authorization": f"Bearer {token}"}
    address = {"lines": ["7 Lantern Yard"], "town": "Saltmarsh", "postcode": "SM4 7LY"}
    variables = {"address": address, "key": uuid.uuid4().hex}

    gateway.start()
    gateway.wait_started()
    body = httpx.post(
        f"{gateway.url}/graphql", json={"query": CHANGE, "variables": variables}, headers=headers
    ).json()
    assert "errors" not in body, body
    change_id = body["data"]["changeAddress"]["id"]

    deadline = time.monotonic() + 60
    killed_with: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = _deliveries(data_dir, change_id)
        unrecorded = [r for r in rows if r["status"] != "DELIVERED" and applied(data_dir, r)]
        untold = [r for r in rows if not applied(data_dir, r)]
        if unrecorded and untold:
            gateway.kill()
            killed_with = unrecorded
            break
        time.sleep(0.05)
    assert killed_with, "never saw a delivery applied but not yet recorded"
    assert len(rows) >= 4
    assert {r["source"] for r in rows} >= {"tax", "benefits", "passports", "parking"}

    gateway.start()
    gateway.wait_started()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        body = httpx.post(
            f"{gateway.url}/graphql",
            json={"query": TRACK, "variables": {"id": change_id}},
            headers=headers,
        ).json()
        if body["data"]["addressChange"]["complete"]:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"not all delivered after restart: {body}")

    rows = _deliveries(data_dir, change_id)
    assert all(r["status"] == "DELIVERED" for r in rows)
    assert {r["id"]: applied(data_dir, r) for r in rows} == {r["id"]: 1 for r in rows}
    resent = {r["id"]: r["outcome"] for r in rows if r["id"] in {k["id"] for k in killed_with}}
    assert set(resent.values()) == {"DUPLICATE"}
    tax_lines = (data_dir / "tax" / "address_changes.jsonl").read_text().splitlines()
    assert [json.loads(line)["Nino"] for line in tax_lines].count(person.tax.nino) == 1
