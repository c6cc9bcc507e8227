"""Operation limits: depth, aliases, tokens, cost, page size, body size, introspection."""

from __future__ import annotations

import httpx
import pytest
from graphql import ValidationContext, parse
from graphql.utilities import TypeInfo

from govgraph.limits import OperationLimits, measure, source_weights
from schema import build_schema
from tests.security.support import BareFactory, BareGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

GQL_JSON = "application/graphql-response+json"
DEEP = "{ me { tax { paymentsDue { amount { amount } } } } }"


def _limits(**kw: int) -> OperationLimits:
    base = {
        "max_depth": 12,
        "max_aliases": 15,
        "max_cost": 5000,
        "list_size": 10,
        "max_page_size": 100,
    }
    base.update(kw)
    return OperationLimits(weights=source_weights({"tax": 10, "benefits": 4}), **base)


def _shape(query: str, limits: OperationLimits | None = None) -> tuple[int, int, int]:
    schema = build_schema()._schema
    doc = parse(query)
    ctx = ValidationContext(schema, doc, TypeInfo(schema), lambda _e: None)
    op = doc.definitions[-1]
    shape = measure(ctx, op, limits or _limits())  # type: ignore[arg-type]
    return shape.depth, shape.aliases, shape.cost


async def test_cost_weighs_sources_and_list_sizes() -> None:
    """Objects cost 1 per item a list or page may hold; a source's weight counts once per field
    that reads it (its loader batches the whole level)."""
    assert _shape("{ me { id } }") == (2, 0, 1)
    assert _shape("{ me { tax { taxCode } } }") == (3, 0, 2 + 10)
    assert _shape("{ me { benefits { reference } } }") == (3, 0, 2 + 4)
    assert _shape("{ citizens(first: 7) { edges { node { tax { taxCode } } } } }")[2] == (
        1 + (1 + 7 * (1 + 1)) + 10
    )
    assert _shape("{ citizens(first: 7) { edges { node { benefits { reference } } } } }")[2] == (
        1 + (1 + 7 * (1 + (1 + 10 * 0))) + 4
    )
    from_variable = _shape("query($n: Int!) { citizens(first: $n) { edges { cursor } } }")[2]
    assert from_variable == 1 + (1 + 100 * 0)
    nested = _shape("query($n: Int!) { citizens(first: $n) { edges { node { id } } } }")[2]
    assert nested == 1 + (1 + 100 * 1)


async def test_paging_backwards_or_by_default_costs_its_page_size() -> None:
    """A connection's `last` counts like `first` (the maximum page size from a variable), and
    a connection given neither counts its default page size of 20."""
    per_citizen = "{ edges { node { tax { taxCode } } } } }"
    forwards = _shape("{ citizens(first: 7) " + per_citizen)[2]
    assert _shape("{ citizens(last: 7) " + per_citizen)[2] == forwards
    from_variable = _shape("query($n: Int) { citizens(last: $n) { edges { node { id } } } }")
    assert from_variable[2] == 1 + (1 + 100 * 1)
    assert _shape("{ citizens { edges { node { id } } } }")[2] == 1 + (1 + 20 * 1)
    assert _shape("{ linkReview(last: 3) { edges { node { id } } } }")[2] == 1 + (1 + 3 * 1)


async def test_fragments_and_aliases_are_counted_where_used() -> None:
    """Fragments count at each spread; aliased fields count one each, also inside fragments."""
    query = """
      fragment T on Citizen { a: tax { taxCode } b: tax { taxCode } }
      query { me { ...T } x: me { ...T } }
    """
    depth, aliases, cost = _shape(query)
    assert depth == 3
    assert aliases == 5
    assert cost == 2 * (1 + 2 * 1) + 4 * 10


async def test_introspection_is_not_counted() -> None:
    """Introspection fields neither add depth nor cost (graphql-core bounds their depth)."""
    assert _shape("{ __schema { types { fields { type { name } } } } }") == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "query", "code"),
    [
        ({"max_depth": 4}, DEEP, "OPERATION_TOO_DEEP"),
        (
            {"max_aliases": 3},
            "{ a: __typename b: __typename c: __typename d: __typename }",
            "TOO_MANY_ALIASES",
        ),
        (
            {"max_cost": 100},
            "{ citizens(first: 50) { edges { node { tax { taxCode } } } } }",
            "OPERATION_TOO_COSTLY",
        ),
        ({"max_tokens": 50}, "{ " + "__typename " * 60 + "}", "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["depth", "aliases", "cost", "tokens"],
)
async def test_operations_over_a_limit_are_refused_before_execution(
    bare_gateway_factory: BareFactory, overrides: dict[str, int], query: str, code: str
) -> None:
    """An operation over a limit gets 400 with the limit's code, and nothing executes."""
    gw = await bare_gateway_factory(**overrides)
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post(
            "/graphql",
            json={"query": query},
            headers={"Accept": GQL_JSON, **gw.headers("caseworker")},
        )
    assert r.status_code == 400
    body = r.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code


async def test_operations_within_limits_run(
    bare: BareGateway, bare_client: httpx.AsyncClient
) -> None:
    """The default limits let ordinary operations through."""
    r = await bare_client.post("/graphql", json={"query": DEEP}, headers=bare.headers("citizen"))
    assert r.status_code == 200
    assert "OPERATION_TOO" not in r.text


async def test_alias_brute_force_of_node_ids_is_refused(
    bare: BareGateway, bare_client: httpx.AsyncClient
) -> None:
    """Guessing many ids in one request through aliases is refused as a whole."""
    guesses = " ".join(f'n{i}: node(id: "Q2l0aXplbjpjel94{i:03d}") {{ id }}' for i in range(40))
    r = await bare_client.post(
        "/graphql", json={"query": f"{{ {guesses} }}"}, headers=bare.headers("citizen")
    )
    codes = [e["extensions"]["code"] for e in r.json()["errors"]]
    assert codes[0] == "TOO_MANY_ALIASES"
    assert r.json().get("data") is None


async def test_page_size_is_bounded(bare: BareGateway, bare_client: httpx.AsyncClient) -> None:
    """`first` above the maximum page size is refused with BAD_USER_INPUT."""
    r = await bare_client.post(
        "/graphql",
        json={"query": "{ citizens(first: 101) { edges { cursor } } }"},
        headers=bare.headers("caseworker"),
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_body_size_limit(bare_gateway_factory: BareFactory) -> None:
    """A body over `max_body_bytes` is refused with 413 before it is parsed."""
    gw = await bare_gateway_factory(max_body_bytes=2000)
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/graphql", json={"query": "{ __typename }" + " " * 3000})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


INTROSPECT = {"query": "{ __schema { queryType { name } } }"}


@pytest.mark.parametrize(
    ("profile", "open_"), [("production", False), ("analyst", True), ("demo", True)]
)
async def test_introspection_and_graphiql_by_profile(
    bare_gateway_factory: BareFactory, profile: str, open_: bool
) -> None:
    """Production turns introspection and GraphiQL off; the analyst and demo profiles keep them."""
    gw = await bare_gateway_factory(profile=profile)
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/graphql", json=INTROSPECT, headers=gw.headers("analyst"))
        typename = await client.post("/graphql", json={"query": "{ __typename }"})
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
    assert typename.json() == {"data": {"__typename": "Query"}}
    if open_:
        assert r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
        assert ide.status_code == 200
    else:
        assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "__schema" not in str(r.json().get("data"))
        assert ide.status_code == 404


async def test_introspection_can_be_turned_on_in_production(
    bare_gateway_factory: BareFactory,
) -> None:
    """`gateway.introspection = true` overrides the production default."""
    gw = await bare_gateway_factory(profile="production", introspection=True)
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/graphql", json=INTROSPECT)
    assert r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
