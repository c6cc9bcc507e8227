"""Per-principal rate limiting: 429 with Retry-After, in memory or shared through Redis."""

from __future__ import annotations

import uuid

import httpx
import pytest

from govgraph.ratelimit import RateLimiter
from tests.security.support import BareFactory, BareGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

REDIS = "redis://127.0.0.1:6379"
PING = {"query": "{ __typename }"}


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
    first = await bare_gateway_factory(rate_limit="4/minute", rate_limit_storage=REDIS)
    second = await bare_gateway_factory(rate_limit="4/minute", rate_limit_storage=REDIS)
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


async def test_rate_limit_settings_are_checked() -> None:
    """A malformed rate or storage URL is refused naming the setting."""
    with pytest.raises(ValueError, match=r"gateway\.rate_limit"):
        RateLimiter("lots please")
    with pytest.raises(ValueError, match=r"gateway\.rate_limit_storage"):
        RateLimiter("5/minute", "memcached://127.0.0.1")
    assert not RateLimiter("none").enabled
