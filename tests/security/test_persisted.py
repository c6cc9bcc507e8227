"""Persisted operations: Apollo's automatic persisted queries, and the allow-list mode."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import orjson
import pytest

from govgraph.persisted import operation_hash
from govgraph.security import Security
from govgraph.settings import ConfigError
from schema import build_schema
from tests.security.support import BareFactory, BareGateway, bare_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

QUERY = "query Hello { __typename }"


def _ext(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": operation_hash(text)}}


async def test_automatic_persisted_query_round_trip(
    bare: BareGateway, bare_client: httpx.AsyncClient
) -> None:
    """Hash only: PersistedQueryNotFound; hash with text: runs and registers; hash only: runs."""
    text = "query Unique1 { __typename }"
    miss = await bare_client.post("/graphql", json={"extensions": _ext(text)})
    assert miss.status_code == 200
    err = miss.json()["errors"][0]
    assert err["message"] == "PersistedQueryNotFound"
    assert err["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    register = await bare_client.post("/graphql", json={"query": text, "extensions": _ext(text)})
    assert register.json() == {"data": {"__typename": "Query"}}
    hit = await bare_client.post("/graphql", json={"extensions": _ext(text)})
    assert hit.json() == {"data": {"__typename": "Query"}}
    by_get = await bare_client.get(
        "/graphql", params={"extensions": orjson.dumps(_ext(text)).decode()}
    )
    assert by_get.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "ext",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
        {"persistedQuery": "yes"},
    ],
)
async def test_malformed_persisted_query_extensions_are_400(
    bare_client: httpx.AsyncClient, ext: dict[str, object]
) -> None:
    """A persisted query extension with a wrong version or hash is a request error."""
    r = await bare_client.post("/graphql", json={"extensions": ext})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_hash_must_match_the_text(bare_client: httpx.AsyncClient) -> None:
    """Text sent with another operation's hash is refused (no cache poisoning)."""
    r = await bare_client.post(
        "/graphql", json={"query": "{ __typename }", "extensions": _ext("{ me { id } }")}
    )
    assert r.status_code == 400
    assert "does not match" in r.json()["errors"][0]["message"]
    again = await bare_client.post("/graphql", json={"extensions": _ext("{ me { id } }")})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def _manifest(path: Path, *texts: str) -> Path:
    ops = [
        {"id": operation_hash(t), "name": f"Op{i}", "type": "query", "body": t}
        for i, t in enumerate(texts)
    ]
    path.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops})
    )
    return path


async def test_allowlist_mode_runs_only_listed_operations(
    bare_gateway_factory: BareFactory, tmp_path: Path
) -> None:
    """In allow-list mode, listed operations run by hash or text; anything else is refused and
    nothing can be registered."""
    manifest = _manifest(tmp_path / "manifest.json", QUERY)
    gw = await bare_gateway_factory(
        persisted_operations="allowlist", persisted_manifest=str(manifest)
    )
    other = "query Other { __typename }"
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        by_hash = await client.post("/graphql", json={"extensions": _ext(QUERY)})
        assert by_hash.json() == {"data": {"__typename": "Query"}}
        by_text = await client.post("/graphql", json={"query": QUERY})
        assert by_text.json() == {"data": {"__typename": "Query"}}
        free = await client.post("/graphql", json={"query": other})
        assert free.status_code == 400
        assert free.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        register = await client.post("/graphql", json={"query": other, "extensions": _ext(other)})
        assert register.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        unknown = await client.post("/graphql", json={"extensions": _ext(other)})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_persisted_queries_can_be_turned_off(bare_gateway_factory: BareFactory) -> None:
    """With `persisted_operations = "off"` a hash-only request says persisted queries are
    not supported."""
    gw = await bare_gateway_factory(persisted_operations="off")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/graphql", json={"extensions": _ext(QUERY)})
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_a_manifest_with_a_wrong_id_is_a_configuration_error(tmp_path: Path) -> None:
    """A manifest whose id is not the hash of its body is refused at start, naming the key."""
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"operations": [{"id": "0" * 64, "body": QUERY}]}))
    settings = bare_settings(
        tmp_path, persisted_operations="allowlist", persisted_manifest=str(path)
    )
    with pytest.raises(ConfigError) as info:
        Security.build(settings, build_schema()._schema)
    assert "gateway.persisted_manifest" in info.value.message


async def test_an_operation_that_fails_validation_is_not_stored(
    bare_client: httpx.AsyncClient,
) -> None:
    """Text and hash of an invalid operation: the validation error, and the hash stays unknown
    (the next hash-only request gets PERSISTED_QUERY_NOT_FOUND, not the validation error)."""
    text = "query NotValid1 { noSuchField }"
    sent = await bare_client.post("/graphql", json={"query": text, "extensions": _ext(text)})
    assert sent.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    again = await bare_client.post("/graphql", json={"extensions": _ext(text)})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_operation_that_fails_to_parse_is_not_stored(
    bare_client: httpx.AsyncClient,
) -> None:
    """Text and hash of an operation that does not parse: never stored under its hash."""
    text = "query Broken1 { __typename"
    sent = await bare_client.post("/graphql", json={"query": text, "extensions": _ext(text)})
    assert sent.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    again = await bare_client.post("/graphql", json={"extensions": _ext(text)})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
