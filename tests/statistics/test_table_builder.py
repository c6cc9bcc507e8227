"""The table builder over HTTP: the issue's three questions against counts computed straight from
the generated population, bad requests as typed errors, the budget and the ledger."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fixtures.demo_sources import statistics_areas
from govgraph.statistics.builder import age_band
from govgraph.statistics.filters import add_months, month_of
from govgraph.statistics.privacy import margin
from tests.statistics.conftest import StatsGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

TABLE = """
query T($request: TableRequest!, $purpose: String!) {
  statistics {
    table(request: $request, purpose: $purpose) {
      dimensions measure total epsilon noiseScale margin95 publishedOn charged
      cells { labels value }
    }
    budget { total spent remaining tableCost }
  }
}
"""
UNPAID = {"OPEN", "CHARGE_CERTIFICATE"}


def _area(postcode: str) -> str:
    letters = ""
    for c in postcode.upper():
        if not c.isalpha():
            break
        letters += c
    return letters[:2]


def _region(person: Any) -> str:
    found = statistics_areas().get(_area(person.address.postcode))
    return found["region"] if found else "OTHER"


def _council(person: Any) -> str:
    found = statistics_areas().get(_area(person.address.postcode))
    return found["council"] if found else "OTHER"


async def build(
    client: httpx.AsyncClient, gw: StatsGateway, request: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    if kw.get("role", "analyst") == "analyst":
        kw.setdefault("subject", "analyst-1")
    response = await client.post(
        "/graphql",
        json={"query": TABLE, "variables": {"request": request, "purpose": "tests"}},
        headers=gw.headers(**kw),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _cells(body: dict[str, Any]) -> dict[tuple[str, ...], int]:
    table = body["data"]["statistics"]["table"]
    return {tuple(c["labels"]): c["value"] for c in table["cells"]}


def _every_cell(table: dict[str, Any]) -> int:
    """A noise bound that every cell of a table meets but about once in a million: the
    published margin95 holds for 95% of cells, not for all of them at once."""
    return margin(float(table["noiseScale"]), 1 - 1e-6)


def _close(
    published: dict[tuple[str, ...], int], truth: Counter[tuple[str, ...]], slack: int
) -> None:
    assert set(truth) <= set(published), sorted(set(truth) - set(published))
    wrong = {
        k: (v, truth.get(k, 0)) for k, v in published.items() if abs(v - truth.get(k, 0)) > slack
    }
    assert not wrong, wrong


async def test_overpayment_and_unpaid_fine_by_region_and_age(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """People with a benefit overpayment and an unpaid parking fine, by region and age band,
    match the generated population within the stated noise."""
    population = stats_gateway.running.population
    today = date.today()
    truth: Counter[tuple[str, ...]] = Counter()
    for p in population.people:
        overpaid = any(c.overpayment > 0 for c in p.benefits)
        unpaid = any(n.status in UNPAID for n in p.penalty_notices)
        if overpaid and unpaid:
            truth[(_region(p), age_band(p.date_of_birth, today))] += 1
    body = await build(
        stats_client,
        stats_gateway,
        {
            "by": ["region", "age_band"],
            "where": [{"condition": "benefits.overpayment"}, {"condition": "parking.unpaid"}],
        },
    )
    assert "errors" not in body, body
    table = body["data"]["statistics"]["table"]
    assert table["dimensions"] == ["region", "age_band"]
    assert len(table["cells"]) == 5 * 9
    _close(_cells(body), truth, slack=1 + _every_cell(table))


async def test_passports_expiring_in_six_months_by_council(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """Passports expiring in the next 6 months, not cancelled or lost, by council, match the
    population within the stated noise (a cancelled passport is not counted)."""
    population = stats_gateway.running.population
    start = month_of(date.today())
    end = add_months(start, 5)
    truth: Counter[tuple[str, ...]] = Counter()
    cancelled = 0
    for p in population.people:
        pp = p.passport
        if pp is None or not start <= month_of(pp.expiry_date) <= end:
            continue
        if pp.status in {"VALID", "EXPIRED"}:
            truth[(_council(p),)] += 1
        else:
            cancelled += 1
    body = await build(
        stats_client,
        stats_gateway,
        {
            "by": ["council"],
            "where": [{"condition": "passports.expires_within_months", "months": 6}],
        },
    )
    assert "errors" not in body, body
    table = body["data"]["statistics"]["table"]
    _close(_cells(body), truth, slack=1 + _every_cell(table))


async def test_tax_owed_by_benefit_claimants_by_region(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """Total tax owed by people who also have an active benefit claim, by region, matches the
    population's sum (each person's debt clamped to the declared bound) within the noise."""
    population = stats_gateway.running.population
    truth: Counter[tuple[str, ...]] = Counter()
    for p in population.people:
        if p.tax is None or not any(c.status == "A" for c in p.benefits):
            continue
        owed = int(max(p.tax.balance_owed, Decimal(0)).quantize(Decimal(1)))
        truth[(_region(p),)] += min(owed, 20000)
    assert sum(truth.values()) > 0
    body = await build(
        stats_client,
        stats_gateway,
        {
            "measure": "tax.balance_owed",
            "by": ["region"],
            "where": [{"condition": "benefits.active_claim"}],
        },
    )
    assert "errors" not in body, body
    table = body["data"]["statistics"]["table"]
    assert table["measure"] == "tax.balance_owed"
    published = _cells(body)
    for key, value in truth.items():
        assert abs(published[key] - value) <= table["margin95"] * 3 + 20000, (key, value)
    total = sum(truth.values())
    assert abs(sum(published.values()) - total) <= 0.05 * total + 5 * table["margin95"]


@pytest.mark.parametrize(
    ("request_", "names"),
    [
        (
            {"by": ["region", "age_band", "council", "postcode_area"], "where": []},
            ["at most 3 dimensions", "remove 1"],
        ),
        (
            {"by": ["shoe_size"], "where": [{"condition": "parking.unpaid"}]},
            ["shoe_size", "age_band"],
        ),
        (
            {"by": [], "where": [{"condition": "parking.towed"}]},
            ["parking.towed", "parking.unpaid"],
        ),
        ({"by": ["region"], "where": []}, ["at least one condition"]),
        (
            {"where": [{"condition": "passports.expires_within_months", "months": 99}]},
            ["months", "1 to 24"],
        ),
        (
            {"where": [{"condition": "benefits.claims", "values": ["PONY"]}]},
            ["PONY", "UNIVERSAL_CREDIT"],
        ),
        (
            {"by": ["parking.issue_month"], "where": [{"condition": "parking.unpaid"}]},
            ["fromMonth"],
        ),
        ({"measure": "tax.shoe", "where": [{"condition": "tax.owes"}]}, ["tax.balance_owed"]),
    ],
)
async def test_bad_requests_are_typed_errors_naming_the_fix(
    stats_gateway: StatsGateway,
    stats_client: httpx.AsyncClient,
    request_: dict[str, Any],
    names: list[str],
) -> None:
    """Too many dimensions, unknown names, bad values and missing ranges are BAD_USER_INPUT
    errors that name what to change, and spend nothing."""
    before = await stats_gateway.service.budgets.spent(_analyst(stats_gateway))
    body = await build(stats_client, stats_gateway, request_)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    for name in names:
        assert name in error["message"], error["message"]
    assert await stats_gateway.service.budgets.spent(_analyst(stats_gateway)) == before


def _analyst(gw: StatsGateway) -> str:
    import hashlib

    return hashlib.sha256(b"analyst-1").hexdigest()[:16]


async def test_every_table_request_is_in_the_ledger_with_purpose_and_request(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """A table request is written to the access ledger with the analyst, purpose and the
    request, never the answer; a citizen sees no such entry."""
    request = {"by": ["tax.tax_band"], "where": [{"condition": "tax.owes"}]}
    body = await build(stats_client, stats_gateway, request)
    assert "errors" not in body, body
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(stats_gateway.running.settings.gateway.index_url)
    try:
        async with engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        text(
                            "SELECT * FROM gg_access_ledger WHERE field_groups LIKE '%statistics%'"
                        )
                    )
                )
                .mappings()
                .all()
            )
    finally:
        await engine.dispose()
    mine = [r for r in rows if "tax.tax_band" in r["field_groups"]]
    assert mine, rows
    entry = mine[-1]
    assert entry["role"] == "analyst"
    assert entry["purpose"] == "tests"
    assert "tax.owes" in entry["field_groups"]
    assert entry["citizen_id"] == ""
    assert entry["actor"] == _analyst(stats_gateway)
    assert '"cells' not in entry["field_groups"] and '"total' not in entry["field_groups"]


async def test_citizens_cannot_build_tables(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """A citizen's token is refused with FORBIDDEN before anything is computed."""
    body = await build(
        stats_client,
        stats_gateway,
        {"where": [{"condition": "tax.owes"}]},
        role="citizen",
        citizen_id="c-someone",
    )
    assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
