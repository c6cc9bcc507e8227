"""GraphQL over HTTP: status codes, media types and typed errors for bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

GQL_JSON = "application/graphql-response+json"


async def test_syntax_error_is_400_with_graphql_response_json(client: httpx.AsyncClient) -> None:
    """A query that cannot be parsed gets 400 and a typed error when the client accepts it."""
    r = await client.post("/graphql", json={"query": "{ me { "}, headers={"Accept": GQL_JSON})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GQL_JSON)
    body = r.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "Traceback" not in r.text


async def test_syntax_error_is_200_for_plain_json_clients(client: httpx.AsyncClient) -> None:
    """Clients that only accept application/json get 200 with the error in the body."""
    r = await client.post("/graphql", json={"query": "{ me { "})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_unknown_field_fails_validation(client: httpx.AsyncClient) -> None:
    """A query naming a field the schema lacks fails validation with a typed error."""
    r = await client.post(
        "/graphql", json={"query": "{ me { shoeSize } }"}, headers={"Accept": GQL_JSON}
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"query": 42}', "application/json", 400),
        (b'{"query": "{ me { id } }", "variables": [1]}', "application/json", 400),
        (b"query { me { id } }", "text/plain", 415),
    ],
)
async def test_malformed_requests_get_typed_errors(
    client: httpx.AsyncClient, body: bytes, content_type: str, status: int
) -> None:
    """Malformed bodies get a 4xx with a GraphQL error body, never a 500."""
    r = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert r.status_code == status
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_hostile_variables_are_rejected_without_execution(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Variables of the wrong type are a request error (400), not a crash."""
    r = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { node(id: $id) { id } }",
            "variables": {"id": {"$gt": ""}},
        },
        headers={"Accept": GQL_JSON, **gateway.headers("caseworker")},
    )
    assert r.status_code == 400
    assert r.json()["data"] is None


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    """A request body over the limit is refused before it is parsed."""
    big = b'{"query": "' + b" " * 2_000_000 + b'{ me { id } }"}'
    r = await client.post("/graphql", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("variant", ["garbage", "expired", "wrong_audience", "alg_none", "hmac"])
async def test_bad_tokens_are_401(
    gateway: RunningGateway, client: httpx.AsyncClient, variant: str
) -> None:
    """Malformed, expired, mis-addressed, unsigned and HMAC-signed tokens are all refused."""
    now = int(time.time())
    claims = {
        "iss": gateway.idp.issuer,
        "aud": gateway.idp.audience,
        "sub": "x",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "role": "caseworker",
        "purpose": "case-review",
    }
    if variant == "garbage":
        token = "not.a.token"
    elif variant == "expired":
        token = gateway.idp.token(role="caseworker", purpose="case-review", lifetime_s=-120)
    elif variant == "wrong_audience":
        token = jwt.encode(
            {**claims, "aud": "someone-else"},
            gateway.idp._key,
            "RS256",
            headers={"kid": gateway.idp.kid},
        )
    elif variant == "alg_none":
        token = jwt.encode(claims, None, algorithm="none")
    else:
        # The classic confusion attack: sign with HMAC using the issuer's public key as secret.
        public = gateway.idp._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        token = _hmac_token({"alg": "HS256", "typ": "JWT", "kid": gateway.idp.kid}, claims, public)
    r = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_and_malformed_citizen_ids(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """An unknown id gives NOT_FOUND; a malformed one BAD_USER_INPUT; neither a 500."""
    from resolvers.ids import encode_id

    q = "query($id: ID!) { citizen(id: $id) { id } }"
    h = gateway.headers("caseworker")
    unknown = await client.post(
        "/graphql",
        json={"query": q, "variables": {"id": encode_id("Citizen", "cz_nobody")}},
        headers=h,
    )
    assert unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await client.post("/graphql", json={"query": q, "variables": {"id": "%%%"}}, headers=h)
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    """`/healthz` is alive, `/readyz` reports every source, `/metrics` is Prometheus text."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["sources"]) == {"tax", "benefits", "passports", "vehicles", "parking"}
    metrics = await client.get("/metrics")
    assert "govgraph_upstream_calls_total" in metrics.text
    assert "govgraph_request_duration_seconds" in metrics.text


async def test_readyz_leaves_the_tax_service_fault_counter_unchanged(
    client: httpx.AsyncClient, tax_url: str
) -> None:
    """`/readyz` checks the SOAP source with a valid call: the service counts no fault for it."""
    async with httpx.AsyncClient(base_url=tax_url) as tax:
        before = (await tax.get("/admin/stats")).json()
        for _ in range(3):
            ready = await client.get("/readyz")
            assert ready.json()["sources"]["tax"]["status"] == "up"
        after = (await tax.get("/admin/stats")).json()
    assert after["faults"] == before["faults"]
    assert after["calls"].get("ListTaxpayers", 0) >= before["calls"].get("ListTaxpayers", 0) + 3


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_other_methods_on_graphql_are_refused_with_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    """``/graphql`` answers GET and POST itself; PUT gets 405 naming the allowed methods and
    HEAD a 4xx (a HEAD carries no operation), each with the headers every answer carries."""
    put = await client.put("/graphql", json={"query": "{ __typename }"})
    head = await client.head("/graphql")
    assert put.status_code == 405
    assert set(put.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    assert 400 <= head.status_code < 500
    for response in (put, head):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
