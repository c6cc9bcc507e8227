"""``Query.statistics`` over HTTP: who may ask, no personal data, and a planted group of three."""

from __future__ import annotations

import re
from typing import Any

import httpx
from graphql import GraphQLObjectType, get_named_type, is_non_null_type

from schema import build_schema
from tests.statistics.conftest import GROUP_AREA, StatsGateway

TABLE_FIELDS = [
    "benefitClaims",
    "penaltyNotices",
    "passportExpiries",
    "taxBalances",
    "unpaidPenaltyAndActiveBenefit",
    "passportAndVehicleRenewals",
]
CELL = "row column suppressed people { value suppressed } records { value suppressed }"
TABLE = (
    f"name rowDimensions columnDimension cells {{ {CELL} }} rowTotals {{ {CELL} }} "
    f"columnTotals {{ {CELL} }} total {{ {CELL} }}"
)


def _selection(type_: GraphQLObjectType, seen: tuple[str, ...] = ()) -> str:
    parts = []
    for name, field in type_.fields.items():
        if any(is_non_null_type(a.type) for a in field.args.values()):
            continue
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType):
            if named.name in seen:
                continue
            parts.append(f"{name} {{ {_selection(named, (*seen, named.name))} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def every_field_query() -> str:
    """A query selecting every field reachable from `Query.statistics`, built from the schema."""
    schema = build_schema()._schema
    field = schema.query_type.fields["statistics"]
    root = get_named_type(field.type)
    assert isinstance(root, GraphQLObjectType)
    return (
        "query All($filter: StatisticsFilter) { statistics(filter: $filter) { "
        f"{_selection(root, (root.name,))} }} }}"
    )


async def ask(
    client: httpx.AsyncClient, gw: StatsGateway, query: str, variables: Any = None, **kw: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=gw.headers(**kw)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _strings(value: Any, skip: str | None = None) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != skip for s in _strings(v, skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip)]
    return []


def _personal(population: Any) -> set[str]:
    found: set[str] = set()
    for p in population.people:
        found.update({p.given_name, p.surname, p.address.postcode, p.date_of_birth.isoformat()})
        found.update(x for x in (p.nino, p.middle_names) if x)
        if p.passport:
            found.add(p.passport.passport_number)
        if p.licence:
            found.add(p.licence.licence_number)
        found.update(v.vrm for v in p.vehicles)
        found.update(n.pcn for n in p.penalty_notices)
        found.update(n.keeper.address.postcode for n in p.penalty_notices)
        for claim in p.benefits:
            found.add(claim.claim_id)
    found.discard("")
    return found


_IDENTIFIER = re.compile(
    r"\b([A-Z]{2}\d{6}[A-D]|\d{9}|[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}|[A-Z]{2}\d{2} ?[A-Z]{3}|"
    r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}|\d{4}-\d{2}-\d{2})\b"
)


async def test_analyst_sees_no_personal_data_in_any_statistics_field(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """Every field reachable from `statistics`, asked by an analyst, holds no personal data."""
    personal = _personal(stats_gateway.running.population)
    query = every_field_query()
    for variables in (
        {},
        {"filter": {"postcodeAreas": [GROUP_AREA]}},
        {"filter": {"fromMonth": stats_gateway.group.month, "toMonth": stats_gateway.group.month}},
    ):
        body = await ask(stats_client, stats_gateway, query, variables)
        assert "errors" not in body, body.get("errors")
        strings = _strings(body["data"])
        assert strings, "the query returned no labels at all"
        assert not personal.intersection(strings)
        for text in _strings(body["data"], skip="amount"):
            assert not _IDENTIFIER.search(text), f"{text!r} looks like an identifier"


async def test_statistics_are_closed_to_citizens_and_anonymous_callers(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """A citizen gets FORBIDDEN and a caller without a token UNAUTHENTICATED; no data."""
    query = "{ statistics { threshold taxBalances { total { people { value } } } } }"
    body = await ask(stats_client, stats_gateway, query, role="citizen", citizen_id="cz_x")
    assert body.get("data") in (None, {"statistics": None}) or body["data"]["statistics"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} <= {"FORBIDDEN", "UNAUTHENTICATED"}
    response = await stats_client.post("/graphql", json={"query": query})
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes <= {"UNAUTHENTICATED", "FORBIDDEN"} and codes


async def test_caseworkers_may_read_statistics(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """A caseworker gets the same published tables as an analyst."""
    query = "{ statistics { threshold taxBalances { total { people { value } } } } }"
    body = await ask(stats_client, stats_gateway, query, role="caseworker")
    assert "errors" not in body, body.get("errors")
    assert body["data"]["statistics"]["threshold"] == 10
    assert body["data"]["statistics"]["taxBalances"]["total"]["people"]["value"] > 10


async def test_malformed_filter_is_rejected_with_the_field_named(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """A month that is not YYYY-MM is BAD_USER_INPUT naming `fromMonth`."""
    query = "query($f: StatisticsFilter) { statistics(filter: $f) { threshold } }"
    body = await ask(stats_client, stats_gateway, query, {"f": {"fromMonth": "2026-13"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "fromMonth" in body["errors"][0]["message"]
