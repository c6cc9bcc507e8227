"""`payPenaltyNotice` over HTTP: paid once into the council's own database, or refused."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.helpers import gql
from tests.harness import RunningGateway
from tests.writes.support import (
    citizen_for_notice,
    council_file,
    journal,
    notices,
    pick_notice,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAY = """
mutation Pay($pcn: String!, $amount: Decimal!, $key: String!) {
  payPenaltyNotice(pcn: $pcn, amount: $amount, idempotencyKey: $key) {
    reference pcn authority amountPaid { amount } paidAt
  }
}
"""


async def _pay(
    client: httpx.AsyncClient, headers: dict[str, str], pcn: str, amount: str, key: str
) -> dict[str, Any]:
    return await gql(client, PAY, {"pcn": pcn, "amount": amount, "key": key}, headers)


async def _citizen(gateway: RunningGateway, notice: Any) -> dict[str, str]:
    cid = await citizen_for_notice(gateway.settings.gateway.index_url, notice)
    assert cid is not None, "the notice's vehicle is not linked to a citizen"
    return gateway.headers("citizen", cid)


def _codes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


async def test_twenty_concurrent_identical_payments_pay_once(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """20 identical concurrent requests: one payment in the council's database, one answer."""
    notice = pick_notice(write_gateway.population, "OPEN", discount_open=True, council="NB")
    headers = await _citizen(write_gateway, notice)
    key = uuid.uuid4().hex
    amount = str(notice.discount_amount)
    bodies = await asyncio.gather(
        *(_pay(write_client, headers, notice.pcn, amount, key) for _ in range(20))
    )
    assert all("errors" not in b for b in bodies), [b.get("errors") for b in bodies]
    answers = {str(b["data"]["payPenaltyNotice"]) for b in bodies}
    assert len(answers) == 1
    payment = bodies[0]["data"]["payPenaltyNotice"]
    assert payment["pcn"] == notice.pcn
    assert Decimal(payment["amountPaid"]["amount"]) == notice.discount_amount

    rows = [r for r in journal(council_file(write_gateway.data_dir, "NB")) if r["TARGET_KEY"]]
    assert [r["TARGET_KEY"] for r in rows].count(notice.pcn) == 1
    stored = (await notices(write_gateway.data_dir, notice.vrm))[notice.pcn]
    assert stored["status"] == "PAID"
    assert stored["paid_amount"] == notice.discount_amount

    again = await _pay(write_client, headers, notice.pcn, amount, key)
    assert again["data"]["payPenaltyNotice"] == payment
    reused = await _pay(write_client, headers, notice.pcn, "1.00", key)
    assert _codes(reused) == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]
    other_key = await _pay(write_client, headers, notice.pcn, amount, uuid.uuid4().hex)
    assert _codes(other_key) == [("ALREADY_PAID", "pcn")]
    assert [r["TARGET_KEY"] for r in journal(council_file(write_gateway.data_dir, "NB"))].count(
        notice.pcn
    ) == 1


@pytest.mark.parametrize("council", ["EM", "WV"])
async def test_a_payment_is_stored_in_each_councils_legacy_encoding(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient, council: str
) -> None:
    """Integer pence with numeric statuses (EM) and text amounts with padded codes (WV)."""
    notice = pick_notice(write_gateway.population, "OPEN", discount_open=True, council=council)
    headers = await _citizen(write_gateway, notice)
    body = await _pay(
        write_client, headers, notice.pcn, str(notice.discount_amount), uuid.uuid4().hex
    )
    assert "errors" not in body, body["errors"]
    stored = (await notices(write_gateway.data_dir, notice.vrm))[notice.pcn]
    assert (stored["status"], stored["paid_amount"]) == ("PAID", notice.discount_amount)


async def test_bad_payments_get_typed_errors_and_change_nothing(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """Unknown PCN, wrong amount, expired discount, malformed input: typed errors, no write."""
    expired = pick_notice(write_gateway.population, "OPEN", discount_open=False, council="NB")
    headers = await _citizen(write_gateway, expired)
    before = await notices(write_gateway.data_dir, expired.vrm)
    journal_before = journal(council_file(write_gateway.data_dir, "NB"))
    someone_elses = pick_notice(write_gateway.population, "OPEN", discount_open=True, council="WV")

    cases = [
        ((expired.pcn[:2] + "00000001", str(expired.amount)), [("UNKNOWN_PCN", "pcn")]),
        ((someone_elses.pcn, str(someone_elses.amount)), [("UNKNOWN_PCN", "pcn")]),
        ((expired.pcn, "12.34"), [("WRONG_AMOUNT", "amount")]),
        ((expired.pcn, str(expired.discount_amount)), [("DISCOUNT_EXPIRED", "amount")]),
        (("not a pcn", "-1"), [("INVALID_PCN", "pcn"), ("INVALID_AMOUNT", "amount")]),
    ]
    for (pcn, amount), expected in cases:
        body = await _pay(write_client, headers, pcn, amount, uuid.uuid4().hex)
        assert body["data"] is None, body
        assert sorted(_codes(body)) == sorted(expected), (pcn, amount, body["errors"])

    assert await notices(write_gateway.data_dir, expired.vrm) == before
    assert journal(council_file(write_gateway.data_dir, "NB")) == journal_before


async def test_a_refused_key_can_be_used_again_once_corrected(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """A refusal keeps nothing: the same key then pays the right amount, the full charge."""
    expired = pick_notice(write_gateway.population, "OPEN", discount_open=False, council="NB")
    headers = await _citizen(write_gateway, expired)
    key = uuid.uuid4().hex
    refused = await _pay(write_client, headers, expired.pcn, "1.00", key)
    assert _codes(refused) == [("WRONG_AMOUNT", "amount")]
    paid = await _pay(write_client, headers, expired.pcn, str(expired.amount), key)
    assert "errors" not in paid, paid["errors"]
    stored = (await notices(write_gateway.data_dir, expired.vrm))[expired.pcn]
    assert (stored["status"], stored["paid_amount"]) == ("PAID", expired.amount)


async def test_only_citizens_pay_and_only_their_own(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """Caseworkers, analysts and anonymous callers are refused before anything is read."""
    notice = pick_notice(
        write_gateway.population, "CHARGE_CERTIFICATE", discount_open=False, council="EM"
    )
    variables = {"pcn": notice.pcn, "amount": str(notice.amount), "key": uuid.uuid4().hex}
    for headers in (
        write_gateway.headers("caseworker"),
        write_gateway.headers("analyst"),
        {},
    ):
        body = await gql(write_client, PAY, variables, headers)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    stored = (await notices(write_gateway.data_dir, notice.vrm))[notice.pcn]
    assert stored["status"] == "CHARGE_CERTIFICATE"
