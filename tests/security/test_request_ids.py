"""Every error a client gets carries ``extensions.requestId``, equal to the ``X-Request-Id``
header, including errors answered before the operation runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govgraph.persisted import operation_hash
from tests.security.support import BareFactory, BareGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

PING = {"query": "{ __typename }"}


def _error_with_request_id(response: httpx.Response) -> dict[str, Any]:
    """The response's one error, checked to name the response's request id."""
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    request_id = response.headers["x-request-id"]
    assert errors[0]["extensions"]["requestId"] == request_id
    return errors[0]


async def test_malformed_token_401_has_the_request_id(bare_client: httpx.AsyncClient) -> None:
    """A malformed bearer token: 401 UNAUTHENTICATED with the request's id."""
    r = await bare_client.post(
        "/graphql", json=PING, headers={"Authorization": "Bearer not-a-token"}
    )
    assert r.status_code == 401
    assert _error_with_request_id(r)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_authorization_scheme_401_has_the_request_id(
    bare_client: httpx.AsyncClient,
) -> None:
    """An Authorization header that is not a bearer token: 401 with the request's id."""
    r = await bare_client.post("/graphql", json=PING, headers={"Authorization": "Basic eDp5"})
    assert r.status_code == 401
    assert _error_with_request_id(r)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_persisted_query_not_found_has_the_request_id(
    bare_client: httpx.AsyncClient,
) -> None:
    """A hash the gateway has not seen: PERSISTED_QUERY_NOT_FOUND with the request's id."""
    digest = operation_hash("query NeverSent { __typename }")
    r = await bare_client.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},
        headers={"X-Request-Id": "client-chosen-id-1"},
    )
    assert r.headers["x-request-id"] == "client-chosen-id-1"
    assert _error_with_request_id(r)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b'{"query": "{ __typename }"}', {"Content-Type": "text/plain"}, 415),
        (b'{"query": ""}', {"Content-Type": "application/json"}, 400),
    ],
)
async def test_request_errors_have_the_request_id(
    bare_client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
) -> None:
    """Bodies that are not GraphQL requests are refused with the request's id."""
    r = await bare_client.post("/graphql", content=content, headers=headers)
    assert r.status_code == status
    _error_with_request_id(r)


async def test_validation_errors_have_the_request_id(bare_client: httpx.AsyncClient) -> None:
    """An operation that does not validate: the error names the request's id."""
    r = await bare_client.post("/graphql", json={"query": "{ noSuchField }"})
    assert _error_with_request_id(r)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_rate_limited_429_has_the_request_id(bare_gateway_factory: BareFactory) -> None:
    """The request over the rate limit: 429 RATE_LIMITED with the request's id."""
    gw: BareGateway = await bare_gateway_factory(rate_limit="1/minute")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        assert (await client.post("/graphql", json=PING)).status_code == 200
        limited = await client.post("/graphql", json=PING)
    assert limited.status_code == 429
    assert _error_with_request_id(limited)["extensions"]["code"] == "RATE_LIMITED"


async def test_graphiql_disabled_has_the_request_id(bare_gateway_factory: BareFactory) -> None:
    """GraphiQL asked of a production gateway: 404 with the request's id."""
    gw = await bare_gateway_factory(profile="production")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 404
    _error_with_request_id(r)
