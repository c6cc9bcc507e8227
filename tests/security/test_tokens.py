"""Bearer tokens over HTTP: every forged, stale or mis-addressed token is refused with 401."""

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
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from govgraph.auth import AuthError, TokenVerifier
from govgraph.idp import DemoIdentityProvider
from govgraph.settings import AuthSettings
from tests.security.support import BareFactory, BareGateway, add_citizen

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = {"query": "{ me { id } }"}


def _claims(idp: DemoIdentityProvider, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": idp.issuer,
        "aud": idp.audience,
        "sub": "urn:test:citizen",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "role": "citizen",
        "citizen_id": "cz_bare",
        "vot": "P2",
    }
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(idp: DemoIdentityProvider, claims: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(claims, idp._key, algorithm="RS256", headers={"kid": idp.kid, **headers})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hmac(secret: bytes, kid: str, claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def _forge(idp: DemoIdentityProvider, variant: str) -> str:
    claims = _claims(idp)
    now = int(time.time())
    if variant == "garbage":
        return "not.a.token"
    if variant == "expired":
        return _sign(idp, _claims(idp, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    if variant == "not_yet_valid":
        return _sign(idp, _claims(idp, nbf=now + 3600, exp=now + 7200))
    if variant == "issued_in_future":
        return _sign(idp, _claims(idp, iat=now + 3600, nbf=None, exp=now + 7200))
    if variant == "wrong_audience":
        return _sign(idp, _claims(idp, aud="another-service"))
    if variant == "wrong_issuer":
        return _sign(idp, _claims(idp, iss="https://attacker.example"))
    if variant == "no_expiry":
        return _sign(idp, _claims(idp, exp=None))
    if variant == "too_long_lived":
        return _sign(idp, _claims(idp, exp=now + 30 * 86400))
    if variant == "alg_none":
        return jwt.encode(claims, None, algorithm="none")
    if variant == "alg_none_with_kid":
        header = _b64(json.dumps({"alg": "none", "kid": idp.kid}).encode())
        return f"{header}.{_b64(json.dumps(claims).encode())}."
    if variant == "unsigned_rs256":
        token = _sign(idp, claims)
        return token.rsplit(".", 1)[0] + "."
    if variant == "hmac_with_public_key":
        return _hmac(idp.jwks_path.read_bytes(), idp.kid, claims)
    if variant == "hmac_with_public_pem":
        pem = idp._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _hmac(pem, idp.kid, claims)
    if variant == "tampered_payload":
        header, _, sig = _sign(idp, claims).split(".")
        body = _b64(json.dumps({**claims, "citizen_id": "cz_someone_else"}).encode())
        return f"{header}.{body}.{sig}"
    if variant == "unknown_kid":
        return _sign(idp, claims, kid="no-such-key")
    if variant == "no_kid":
        return jwt.encode(claims, idp._key, algorithm="RS256")
    if variant == "attacker_key_same_kid":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, other, algorithm="RS256", headers={"kid": idp.kid})
    if variant == "embedded_jwk":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key()))
        return jwt.encode(claims, other, algorithm="RS256", headers={"kid": idp.kid, "jwk": jwk})
    if variant == "es256_header_on_rsa_key":
        other = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(claims, other, algorithm="ES256", headers={"kid": idp.kid})
    if variant == "crit_header":
        return _sign(idp, claims, crit=["exp"])
    if variant == "no_role":
        return _sign(idp, _claims(idp, role=None))
    if variant == "unknown_role":
        return _sign(idp, _claims(idp, role="admin"))
    if variant == "citizen_without_id":
        return _sign(idp, _claims(idp, citizen_id=None))
    raise AssertionError(variant)


VARIANTS = [
    "garbage",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "wrong_audience",
    "wrong_issuer",
    "no_expiry",
    "too_long_lived",
    "alg_none",
    "alg_none_with_kid",
    "unsigned_rs256",
    "hmac_with_public_key",
    "hmac_with_public_pem",
    "tampered_payload",
    "unknown_kid",
    "no_kid",
    "attacker_key_same_kid",
    "embedded_jwk",
    "es256_header_on_rsa_key",
    "crit_header",
    "no_role",
    "unknown_role",
    "citizen_without_id",
]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_bad_tokens_are_refused(
    bare: BareGateway, bare_client: httpx.AsyncClient, variant: str
) -> None:
    """A forged, unsigned, stale, mis-addressed or malformed token gets 401 and no data."""
    token = _forge(bare.idp, variant)
    r = await bare_client.post("/graphql", json=ME, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert token not in r.text


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc"])
async def test_malformed_authorization_headers_are_401(
    bare_client: httpx.AsyncClient, header: str
) -> None:
    """An Authorization header that is not `Bearer <token>` is refused."""
    r = await bare_client.post("/graphql", json=ME, headers={"Authorization": header})
    assert r.status_code == 401


@pytest.mark.parametrize("role", ["citizen", "caseworker", "analyst"])
async def test_valid_tokens_are_accepted(
    bare: BareGateway, bare_client: httpx.AsyncClient, role: str
) -> None:
    """A token the issuer signed, for any role, is accepted (`__typename` answers)."""
    r = await bare_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bare.headers(role)
    )
    assert r.status_code == 200
    assert r.json() == {"data": {"__typename": "Query"}}


async def test_citizen_token_reaches_me(bare_gateway_factory: BareFactory) -> None:
    """A valid citizen token resolves `me` to that citizen's own id (a citizen in the index)."""
    gw = await bare_gateway_factory()
    await add_citizen(gw, "cz_bare")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/graphql", json=ME, headers=gw.headers("citizen", "cz_bare"))
    assert r.status_code == 200
    assert r.json()["data"]["me"]["id"]


def _verifier(jwks: dict[str, Any], **settings: Any) -> TokenVerifier:
    verifier = TokenVerifier(AuthSettings(issuer="iss", audience="aud", **settings))
    verifier.load_jwks(jwks)
    return verifier


async def test_es256_tokens_verify_with_an_ec_key() -> None:
    """An ES256 token signed by an EC P-256 key in the key set is accepted."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    verifier = _verifier({"keys": [{**jwk, "kid": "ec1", "use": "sig"}]})
    now = int(time.time())
    claims = {
        "iss": "iss",
        "aud": "aud",
        "sub": "s",
        "iat": now,
        "exp": now + 60,
        "role": "analyst",
        "vot": "P1",
    }
    principal = verifier.verify(jwt.encode(claims, key, algorithm="ES256", headers={"kid": "ec1"}))
    assert (principal.role, principal.confidence) == ("analyst", "P1")


async def test_keys_marked_for_encryption_or_private_are_ignored() -> None:
    """JWKS entries with `use: enc` or private parts are never trusted for signatures."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    verifier = _verifier(
        {"keys": [{**jwk, "kid": "enc", "use": "enc"}, {**private, "kid": "priv"}]}
    )
    assert verifier.kids == []


async def test_caseworker_purpose_must_be_allowed() -> None:
    """A caseworker's purpose counts only if it is in the configured allow-list."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    verifier = _verifier({"keys": [{**jwk, "kid": "k"}]}, caseworker_purposes=("case-review",))
    now = int(time.time())
    base = {
        "iss": "iss",
        "aud": "aud",
        "sub": "cw",
        "iat": now,
        "exp": now + 60,
        "role": "caseworker",
    }

    def principal(purpose: str) -> Any:
        token = jwt.encode(
            {**base, "purpose": purpose}, key, algorithm="RS256", headers={"kid": "k"}
        )
        return verifier.verify(token)

    assert principal("case-review").purpose_allowed
    assert not principal("curiosity").purpose_allowed


async def test_confidence_defaults_to_lowest_level() -> None:
    """A token without an identity confidence claim counts as P0, never as a higher level."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    verifier = _verifier({"keys": [{**jwk, "kid": "k"}]})
    now = int(time.time())
    claims = {
        "iss": "iss",
        "aud": "aud",
        "sub": "c",
        "iat": now,
        "exp": now + 60,
        "role": "citizen",
        "citizen_id": "cz_x",
    }
    assert (
        verifier.verify(jwt.encode(claims, key, "RS256", headers={"kid": "k"})).confidence == "P0"
    )
    bogus = jwt.encode({**claims, "vot": "P9"}, key, "RS256", headers={"kid": "k"})
    assert verifier.verify(bogus).confidence == "P0"


async def test_verification_errors_do_not_echo_the_token() -> None:
    """Refusal messages describe the problem without repeating the token."""
    verifier = _verifier({"keys": []})
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.c2ln"
    with pytest.raises(AuthError) as info:
        verifier.verify(token)
    assert token not in str(info.value)


async def test_key_rotation_is_picked_up_from_the_jwks_url(
    bare_gateway_factory: BareFactory, idp_server: tuple[DemoIdentityProvider, str]
) -> None:
    """After the issuer rotates its key, new tokens verify (the JWKS is fetched again by kid),
    tokens signed by the previous key still verify, and a key dropped from the set is refused."""
    idp, idp_url = idp_server
    gw = await bare_gateway_factory(
        auth={
            "jwks_file": None,
            "jwks_url": f"{idp_url}/.well-known/jwks.json",
            "jwks_min_refresh_s": 0,
            "issuer": idp.issuer,
        }
    )
    first = idp.token(role="analyst")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:

        async def status(token: str) -> int:
            r = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            return r.status_code

        assert await status(first) == 200
        idp.rotate()
        second = idp.token(role="analyst")
        assert await status(second) == 200
        assert await status(first) == 200
        idp.rotate()
        third = idp.token(role="analyst")
        assert await status(third) == 200
        assert await status(first) == 401
        assert await status(second) == 200


async def test_demo_identity_provider_endpoints(bare_gateway_factory: BareFactory) -> None:
    """The demo gateway serves OIDC discovery, its JWKS and a token endpoint it accepts."""
    bare = await bare_gateway_factory()
    await add_citizen(bare, "cz_bare")
    async with httpx.AsyncClient(base_url=bare.base_url, timeout=10) as client:
        config = (await client.get("/.well-known/openid-configuration")).json()
        assert config["issuer"] == bare.idp.issuer
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert jwks["keys"][0]["kid"] == bare.idp.kid
        assert all("d" not in k for k in jwks["keys"])
        issued = await client.post(
            "/idp/token", data={"role": "citizen", "citizen_id": "cz_bare", "confidence": "P2"}
        )
        assert issued.status_code == 200
        token = issued.json()["access_token"]
        r = await client.post("/graphql", json=ME, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["data"]["me"]["id"]
        bad = await client.post("/idp/token", data={"role": "root"})
        assert bad.status_code == 400


async def test_production_profile_serves_no_identity_provider(
    bare_gateway_factory: BareFactory,
) -> None:
    """Outside the demo profile the gateway mints no tokens."""
    gw = await bare_gateway_factory(profile="production")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        r = await client.post("/idp/token", data={"role": "analyst"})
        assert r.status_code in (404, 405)
        assert (await client.get("/.well-known/openid-configuration")).status_code == 404


async def test_concurrent_unknown_kids_fetch_the_key_set_once(tmp_path: Any) -> None:
    """Many requests naming a new kid at once cause one key-set fetch, not one each; a key set
    that cannot be fetched refuses the tokens instead of failing the requests."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from govgraph import demo
    from tests.security.support import serving

    idp = demo.identity_provider(tmp_path)
    hits = 0

    async def jwks(request: Request) -> JSONResponse:
        nonlocal hits
        hits += 1
        await asyncio.sleep(0.05)
        return JSONResponse(idp.jwks())

    async with serving(Starlette(routes=[Route("/jwks", jwks)])) as url:
        verifier = TokenVerifier(
            AuthSettings(
                issuer=idp.issuer,
                audience=idp.audience,
                jwks_url=f"{url}/jwks",
                jwks_min_refresh_s=0,
            )
        )
        try:
            tokens = [idp.token(role="analyst") for _ in range(20)]
            principals = await asyncio.gather(*(verifier.authenticate(t) for t in tokens))
            assert {p.role for p in principals} == {"analyst"}
            assert hits == 1
        finally:
            await verifier.aclose()
    down = TokenVerifier(
        AuthSettings(issuer=idp.issuer, audience=idp.audience, jwks_url=f"{url}/jwks")
    )
    try:
        with pytest.raises(AuthError, match="unknown key"):
            await down.authenticate(idp.token(role="analyst"))
    finally:
        await down.aclose()
