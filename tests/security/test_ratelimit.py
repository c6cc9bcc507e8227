"""Rate limiting per principal and of failed authentications per client address: 429 with
Retry-After, in memory or shared through Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from govgraph.ratelimit import RateLimiter
from govgraph.security import Security
from govgraph.settings import ConfigError
from schema import build_schema
from tests.security.support import (
    BareFactory,
    BareGateway,
    bare_settings,
    redis_or_skip,
    unique_prefix,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

PING = {"query": "{ __typename }"}
BAD = {"Authorization": "Bearer not-a-token"}


def _headers(gw: BareGateway, subject: str) -> dict[str, str]:
    token = gw.idp.token(role="analyst", subject=subject)
    return {"Authorization": f"Bearer {token}"}


async def test_over_the_limit_is_429_with_retry_after(bare_gateway_factory: BareFactory) -> None:
    """The request after the limit gets 429, a GraphQL error and `Retry-After`; another
    principal still gets through."""
    gw = await bare_gateway_factory(rate_limit="3/minute")
    me, someone = _headers(gw, "urn:test:a"), _headers(gw, "urn:test:b")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        for _ in range(3):
            assert (await client.post("/graphql", json=PING, headers=me)).status_code == 200
        limited = await client.post("/graphql", json=PING, headers=me)
        other = await client.post("/graphql", json=PING, headers=someone)
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "data" not in limited.json()
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other.status_code == 200


async def test_anonymous_callers_are_limited_by_address(
    bare_gateway_factory: BareFactory,
) -> None:
    """Requests without a token share one counter per client address."""
    gw = await bare_gateway_factory(rate_limit="2/minute")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        codes = [(await client.post("/graphql", json=PING)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


async def test_redis_counters_are_shared_between_gateways(
    bare_gateway_factory: BareFactory,
) -> None:
    """Two gateways on one Redis count one principal's requests together."""
    shared = {
        "rate_limit": "4/minute",
        "rate_limit_storage": redis_or_skip(),
        "rate_limit_key_prefix": unique_prefix(),
    }
    first = await bare_gateway_factory(**shared)
    second = await bare_gateway_factory(**shared)
    subject = f"urn:test:{uuid.uuid4().hex}"
    codes = []
    async with httpx.AsyncClient(timeout=10) as client:
        for i in range(5):
            gw = first if i % 2 == 0 else second
            r = await client.post(
                f"{gw.base_url}/graphql", json=PING, headers=_headers(gw, subject)
            )
            codes.append(r.status_code)
    assert codes == [200, 200, 200, 200, 429]


async def test_unreachable_redis_lets_requests_through() -> None:
    """If the counters' store is down the limiter allows the request rather than failing it."""
    limiter = RateLimiter("1/minute", "redis://127.0.0.1:1")
    await limiter.open()
    try:
        assert await limiter.hit("k") is None
        assert await limiter.hit("k") is None
    finally:
        await limiter.aclose()


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_redis_down_fails_open_or_closed_as_configured(
    bare_gateway_factory: BareFactory, mode: str
) -> None:
    """Redis unreachable: `open` serves every request; `closed` answers 503
    RATE_LIMIT_UNAVAILABLE with Retry-After, never a 500, and other endpoints keep serving."""
    gw = await bare_gateway_factory(
        rate_limit="1/minute",
        rate_limit_storage="redis://127.0.0.1:1",
        rate_limit_on_store_failure=mode,
    )
    me = _headers(gw, f"urn:test:{uuid.uuid4().hex}")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        answers = [await client.post("/graphql", json=PING, headers=me) for _ in range(3)]
        health = await client.get("/healthz")
    assert health.status_code == 200
    if mode == "open":
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert all(r.json()["data"] == {"__typename": "Query"} for r in answers)
        return
    assert [r.status_code for r in answers] == [503, 503, 503]
    for r in answers:
        [error] = r.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMIT_UNAVAILABLE"
        assert "data" not in r.json() and "Traceback" not in r.text
        assert r.headers["retry-after"] == "1"


async def test_rate_limit_settings_are_checked() -> None:
    """A malformed rate or storage URL is refused naming the setting."""
    with pytest.raises(ValueError, match=r"gateway\.rate_limit"):
        RateLimiter("lots please")
    with pytest.raises(ValueError, match=r"gateway\.rate_limit_storage"):
        RateLimiter("5/minute", "memcached://127.0.0.1")
    assert not RateLimiter("none").enabled


def _forged(gw: BareGateway) -> dict[str, str]:
    token = gw.idp.token(role="analyst") + "x"
    return {"Authorization": f"Bearer {token}"}


async def test_failed_authentications_are_limited_per_address(
    bare_gateway_factory: BareFactory,
) -> None:
    """After the limit of 401s from one address, a request with a token, even a valid one, gets
    429, `RATE_LIMITED` and `Retry-After` without the token being checked; requests without a
    token still get through."""
    gw = await bare_gateway_factory(auth_failure_limit="3/minute")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        failures = [
            (await client.post("/graphql", json=PING, headers=h)).status_code
            for h in (BAD, _forged(gw), {"Authorization": "Basic dXNlcjpwdw=="})
        ]
        valid = await client.post("/graphql", json=PING, headers=_headers(gw, "urn:test:ok"))
        forged = await client.post("/graphql", json=PING, headers=_forged(gw))
        anonymous = await client.post("/graphql", json=PING)
    assert failures == [401, 401, 401]
    for limited in (valid, forged):
        assert limited.status_code == 429
        body = limited.json()
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "failed authentications" in body["errors"][0]["message"]
        assert "data" not in body
        assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert anonymous.status_code == 200


async def test_successful_authentications_are_not_counted(
    bare_gateway_factory: BareFactory,
) -> None:
    """Accepted tokens leave the failure counter alone: only refused ones use up the limit."""
    gw = await bare_gateway_factory(auth_failure_limit="2/minute")
    ok = _headers(gw, "urn:test:busy")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        codes = [(await client.post("/graphql", json=PING, headers=ok)).status_code]
        codes += [(await client.post("/graphql", json=PING, headers=ok)).status_code]
        codes += [(await client.post("/graphql", json=PING, headers=ok)).status_code]
        for headers in (BAD, ok, BAD, ok):
            codes.append((await client.post("/graphql", json=PING, headers=headers)).status_code)
    assert codes == [200, 200, 200, 401, 200, 401, 429]


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    bare_gateway_factory: BareFactory,
) -> None:
    """A client that is not a trusted proxy cannot spread its failures over made-up
    `X-Forwarded-For` addresses: they all count against its own address."""
    gw = await bare_gateway_factory(
        server={"forwarded_allow_ips": "192.0.2.1"}, auth_failure_limit="2/minute"
    )
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        codes = [
            (
                await client.post(
                    "/graphql", json=PING, headers={**BAD, "X-Forwarded-For": f"198.51.100.{i}"}
                )
            ).status_code
            for i in range(4)
        ]
    assert codes == [401, 401, 429, 429]


async def test_a_trusted_proxy_reports_each_client_separately(
    bare_gateway_factory: BareFactory,
) -> None:
    """Behind a trusted proxy (uvicorn's `forwarded_allow_ips`), failures count per client the
    proxy reports, so one guessing client does not lock out the others."""
    gw = await bare_gateway_factory(
        server={"forwarded_allow_ips": "127.0.0.1"}, auth_failure_limit="2/minute"
    )
    guesser = {**BAD, "X-Forwarded-For": "198.51.100.7"}
    other = {"X-Forwarded-For": "198.51.100.8"}
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        codes = [
            (await client.post("/graphql", json=PING, headers=guesser)).status_code
            for _ in range(3)
        ]
        other_bad = await client.post("/graphql", json=PING, headers={**other, **BAD})
        other_ok = await client.post(
            "/graphql", json=PING, headers={**other, **_headers(gw, "urn:test:other")}
        )
    assert codes == [401, 401, 429]
    assert other_bad.status_code == 401
    assert other_ok.status_code == 200


async def test_failed_authentications_are_counted_together_through_redis(
    bare_gateway_factory: BareFactory,
) -> None:
    """Gateways sharing one Redis and key prefix count one address's failures together; a
    gateway under another prefix keeps its own counters."""
    url, prefix = redis_or_skip(), unique_prefix()
    shared = {
        "auth_failure_limit": "3/minute",
        "rate_limit_storage": url,
        "rate_limit_key_prefix": prefix,
    }
    first = await bare_gateway_factory(**shared)
    second = await bare_gateway_factory(**shared)
    apart = await bare_gateway_factory(**{**shared, "rate_limit_key_prefix": unique_prefix()})
    codes = []
    async with httpx.AsyncClient(timeout=10) as client:
        for i in range(5):
            gw = first if i % 2 == 0 else second
            r = await client.post(f"{gw.base_url}/graphql", json=PING, headers=BAD)
            codes.append(r.status_code)
        limited = await client.post(
            f"{second.base_url}/graphql", json=PING, headers=_headers(second, "urn:test:r")
        )
        elsewhere = await client.post(f"{apart.base_url}/graphql", json=PING, headers=BAD)
    assert codes == [401, 401, 401, 429, 429]
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) >= 1
    assert elsewhere.status_code == 401


async def test_auth_failure_limit_setting_is_checked(tmp_path: Path) -> None:
    """A malformed failed-authentication limit or key prefix stops the gateway naming the
    setting; `none` turns the limit off."""
    schema = build_schema()._schema
    with pytest.raises(ConfigError, match=r"gateway\.auth_failure_limit"):
        Security.build(bare_settings(tmp_path, auth_failure_limit="lots please"), schema)
    with pytest.raises(ConfigError, match=r"gateway\.rate_limit_key_prefix"):
        Security.build(
            bare_settings(tmp_path, rate_limit_key_prefix="", rate_limit_storage="redis://x"),
            schema,
        )
    security = Security.build(bare_settings(tmp_path, auth_failure_limit="none"), schema)
    assert not security.auth_failures.enabled
    assert Security.build(
        bare_settings(tmp_path, auth_failure_limit="30/minute"), schema
    ).auth_failures.enabled
