"""A department's refusal ends a delivery as FAILED at once; caseworkers retry or cancel it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from govgraph.ledger import AccessLedger
from tests.api.helpers import gql
from tests.harness import RunningGateway
from tests.writes.departments import passport_address
from tests.writes.test_change_address import CHANGE, TRACK
from tests.writes.test_strict_address import citizen

pytestmark = pytest.mark.asyncio(loop_scope="session")

FAILED = """
query Failed($after: ID) {
  failedDeliveries(first: 100, after: $after) {
    deliveryId changeId citizenId department status attempts lastError reportedAt
  }
}
"""
RETRY = "mutation R($id: ID!) { retryDelivery(deliveryId: $id) { deliveryId status } }"
CANCEL = "mutation C($id: ID!) { cancelDelivery(deliveryId: $id) { deliveryId status } }"


def _renumber(data_dir: Path, old: str, new: str) -> None:
    """Change a passport's number in the passport office's own table (as if it had been
    reissued), so a change of address for the old number matches no row."""
    engine = create_engine(f"sqlite:///{data_dir / 'passports' / 'passports.sqlite'}")
    try:
        with engine.begin() as conn:
            conn.execute(
                text('UPDATE "PSPT_MSTR" SET "PSPT_NO" = :new WHERE "PSPT_NO" = :old'),
                {"new": new, "old": old},
            )
    finally:
        engine.dispose()


async def _settled(
    client: httpx.AsyncClient, headers: dict[str, str], change_id: str
) -> dict[str, Any]:
    """Poll `addressChange` until no delivery is pending or retrying."""
    for _ in range(300):
        change = (await gql(client, TRACK, {"id": change_id}, headers))["data"]["addressChange"]
        if all(d["status"] not in ("PENDING", "RETRYING") for d in change["deliveries"]):
            return change  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"deliveries still under way: {change['deliveries']}")


def _passports(change: dict[str, Any]) -> dict[str, Any]:
    [found] = [d for d in change["deliveries"] if d["department"] == "PASSPORTS"]
    return found  # type: ignore[no-any-return]


async def _failed_for(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = await gql(client, FAILED, {}, headers)
    assert "errors" not in body, body["errors"]
    return body["data"]["failedDeliveries"]  # type: ignore[no-any-return]


async def test_a_refused_delivery_fails_at_once_and_caseworkers_retry_or_cancel_it(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """Refused: FAILED after one attempt with the reason; listed; retry delivers; cancel ends."""
    headers, held = await citizen(write_gateway, 3)
    [number] = held["passports"]
    data_dir = write_gateway.data_dir
    caseworker = write_gateway.headers("caseworker")
    _renumber(data_dir, number, "X" + number[1:])
    try:
        first = await gql(
            write_client,
            CHANGE,
            {
                "address": {"lines": ["5 Ferry Road"], "town": "Rivermouth", "postcode": "RM5 5FR"},
                "key": uuid.uuid4().hex,
            },
            headers,
        )
        change_id = first["data"]["changeAddress"]["id"]
        change = await _settled(write_client, headers, change_id)
        refused = _passports(change)
        assert (refused["status"], refused["attempts"]) == ("FAILED", 1)
        assert refused["lastError"].startswith("UPSTREAM_INVALID_INPUT: ")
        assert "changed 0 rows" in refused["lastError"]
        assert not change["complete"]
        others = [d for d in change["deliveries"] if d["department"] != "PASSPORTS"]
        assert others and all(d["status"] == "DELIVERED" for d in others)
        await asyncio.sleep(1.5)
        again = (await gql(write_client, TRACK, {"id": change_id}, headers))["data"]
        assert _passports(again["addressChange"])["attempts"] == 1

        listed = [
            f for f in await _failed_for(write_client, caseworker) if f["changeId"] == change_id
        ]
        assert [(f["department"], f["status"], f["attempts"]) for f in listed] == [
            ("PASSPORTS", "FAILED", 1)
        ]
        refused_id = listed[0]["deliveryId"]
        citizen_body = await gql(write_client, FAILED, {}, headers)
        assert citizen_body["data"] is None
        assert citizen_body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        metrics = (await write_client.get("/metrics")).text
        assert 'govgraph_deliveries_failed_total{department="PASSPORTS"}' in metrics
    finally:
        _renumber(data_dir, "X" + number[1:], number)

    retried = await gql(write_client, RETRY, {"id": refused_id}, caseworker)
    assert retried["data"]["retryDelivery"] == {"deliveryId": refused_id, "status": "PENDING"}
    change = await _settled(write_client, headers, change_id)
    assert _passports(change)["status"] == "DELIVERED" and change["complete"]
    assert await passport_address(data_dir, number) == ("5 Ferry Road", "Rivermouth", "RM5 5FR")
    twice = await gql(write_client, RETRY, {"id": refused_id}, caseworker)
    assert twice["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    _renumber(data_dir, number, "X" + number[1:])
    try:
        second = await gql(
            write_client,
            CHANGE,
            {
                "address": {"lines": ["6 Ferry Road"], "town": "Rivermouth", "postcode": "RM5 6FR"},
                "key": uuid.uuid4().hex,
            },
            headers,
        )
        second_id = second["data"]["changeAddress"]["id"]
        failed = _passports(await _settled(write_client, headers, second_id))
        assert failed["status"] == "FAILED"
        listed = [
            f for f in await _failed_for(write_client, caseworker) if f["changeId"] == second_id
        ]
        cancelled = await gql(write_client, CANCEL, {"id": listed[0]["deliveryId"]}, caseworker)
        assert cancelled["data"]["cancelDelivery"]["status"] == "CANCELLED"
        after = _passports(await _settled(write_client, headers, second_id))
        assert after["status"] == "CANCELLED"
        assert all(f["changeId"] != second_id for f in await _failed_for(write_client, caseworker))
    finally:
        _renumber(data_dir, "X" + number[1:], number)
    assert await passport_address(data_dir, number) == ("5 Ferry Road", "Rivermouth", "RM5 5FR")

    ledger = AccessLedger(
        write_gateway.settings.gateway.ledger_url or write_gateway.settings.gateway.index_url
    )
    await ledger.open()
    try:
        citizen_id = listed[0]["citizenId"]
        from resolvers.ids import decode_id

        _, raw_id, _ = decode_id(citizen_id)
        entries = await ledger.for_citizen(raw_id, limit=20)
    finally:
        await ledger.aclose()
    caseworker_reads = [e for e in entries if e.entry.role == "caseworker"]
    assert caseworker_reads and all("outbox" in e.entry.sources for e in caseworker_reads)
    assert all(e.entry.purpose == "case-review" for e in caseworker_reads)
