"""Money arguments over HTTP: one `Decimal` scalar in and out, read with one strict grammar."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import gql
from tests.harness import RunningGateway
from tests.writes.support import citizen_for_notice, council_file, journal, notices, pick_notice

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAY = """
mutation Pay($pcn: String!, $amount: Decimal!, $key: String!) {
  payPenaltyNotice(pcn: $pcn, amount: $amount, idempotencyKey: $key) {
    pcn amountPaid { amount }
  }
}
"""
INDIC_25 = "\u0662\u0665.\u0660\u0660"
MALFORMED = ["1e26", "3.5e1", "+35", " 35 ", INDIC_25, "35.001", "-1", "", "35.", ".5", "1_0"]


def _codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


async def _payer(
    gateway: RunningGateway, status: str, council: str, *, discount_open: bool
) -> tuple[Any, dict[str, str]]:
    notice = pick_notice(gateway.population, status, discount_open=discount_open, council=council)
    cid = await citizen_for_notice(gateway.settings.gateway.index_url, notice)
    assert cid is not None
    return notice, gateway.headers("citizen", cid)


async def test_each_malformed_amount_is_invalid_amount_and_pays_nothing(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """Exponents, signs, spaces, non-ASCII digits, three decimals, empty: INVALID_AMOUNT."""
    notice, headers = await _payer(write_gateway, "OPEN", "WV", discount_open=True)
    before = await notices(write_gateway.data_dir, notice.vrm)
    journal_before = journal(council_file(write_gateway.data_dir, "WV"))
    for amount in [*MALFORMED, 35.0, True, None]:
        variables = {"pcn": notice.pcn, "amount": amount, "key": uuid.uuid4().hex}
        body = await gql(write_client, PAY, variables, headers)
        if amount is None:
            assert body["data"] is None and body["errors"], body
            continue
        assert body["data"] is None, (amount, body)
        assert _codes(body) == [("INVALID_AMOUNT", "amount")], (amount, body["errors"])
        assert "internal" not in body["errors"][0]["message"]
    literal = (
        f'mutation {{ payPenaltyNotice(pcn: "{notice.pcn}", amount: 1e26, '
        f'idempotencyKey: "{uuid.uuid4().hex}") {{ pcn }} }}'
    )
    body = await gql(write_client, literal, None, headers)
    assert _codes(body) == [("INVALID_AMOUNT", "amount")], body
    assert await notices(write_gateway.data_dir, notice.vrm) == before
    assert journal(council_file(write_gateway.data_dir, "WV")) == journal_before


async def test_a_client_reusing_the_output_type_for_the_input_validates(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """`Money.amount` sent back as a `Decimal!` variable validates and reaches the checks as is."""
    notice, headers = await _payer(write_gateway, "CHARGE_CERTIFICATE", "EM", discount_open=False)
    read = "query { me { parkingFines { pcn amountDue { amount } discountAmount { amount } } } }"
    me = await gql(write_client, read, None, headers)
    assert "errors" not in me, me["errors"]
    [mine] = [n for n in me["data"]["me"]["parkingFines"] if n["pcn"] == notice.pcn]
    due, discount = mine["amountDue"]["amount"], mine["discountAmount"]["amount"]
    assert isinstance(due, str) and isinstance(discount, str) and due != discount
    variables = {"pcn": notice.pcn, "amount": discount, "key": uuid.uuid4().hex}
    body = await gql(write_client, PAY, variables, headers)
    assert _codes(body) == [("DISCOUNT_EXPIRED", "amount")], body
    assert body["errors"][0]["message"].endswith(f"; {due} is due now")
    stored = (await notices(write_gateway.data_dir, notice.vrm))[notice.pcn]
    assert stored["status"] == "CHARGE_CERTIFICATE"


async def test_the_old_string_variable_type_is_a_validation_error(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """`$amount: String!` no longer validates (the documented breaking change): nothing paid."""
    notice, headers = await _payer(write_gateway, "OPEN", "NB", discount_open=True)
    old = PAY.replace("$amount: Decimal!", "$amount: String!")
    variables = {"pcn": notice.pcn, "amount": "1.00", "key": uuid.uuid4().hex}
    body = await gql(write_client, old, variables, headers)
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
