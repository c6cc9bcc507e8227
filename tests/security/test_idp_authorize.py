"""The demo identity provider's authorization code flow: PKCE required, codes used once,
redirects only to the app's own callback."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _params(base: str, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "govgraph-app",
        "redirect_uri": f"{base}/app/auth/callback",
        "scope": "openid",
        "state": "s-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


async def _code(client: httpx.AsyncClient, base: str, challenge: str) -> str:
    page = await client.get("/idp/authorize", params=_params(base, challenge))
    assert page.status_code == 200
    personas = re.findall(r'name="persona"[^>]*value="([a-z-]+)"', page.text)
    assert "parking-fine" in personas
    chosen = await client.post(
        "/idp/authorize", data={**_params(base, challenge), "persona": personas[0]}
    )
    assert chosen.status_code == 303
    target = urlsplit(chosen.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{base}/app/auth/callback"
    query = parse_qs(target.query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


async def test_code_with_its_verifier_gives_working_tokens(gateway: RunningGateway) -> None:
    """A code and its PKCE verifier give an access token the API accepts and an ID token for
    the client with the nonce; the same code a second time is refused."""
    base = gateway.base_url
    verifier, challenge = _pkce()
    async with httpx.AsyncClient(base_url=base) as client:
        code = await _code(client, base, challenge)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "govgraph-app",
            "redirect_uri": f"{base}/app/auth/callback",
            "code_verifier": verifier,
        }
        issued = await client.post("/idp/token", data=form)
        assert issued.status_code == 200
        body: dict[str, Any] = issued.json()
        id_claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        assert id_claims["aud"] == "govgraph-app" and id_claims["nonce"] == "n-456"
        me = await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert me.json()["data"]["me"]["id"]
        again = await client.post("/idp/token", data=form)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_wrong_verifier_is_refused(gateway: RunningGateway) -> None:
    """A code sent with another verifier gives no token."""
    base = gateway.base_url
    _verifier, challenge = _pkce()
    async with httpx.AsyncClient(base_url=base) as client:
        code = await _code(client, base, challenge)
        refused = await client.post(
            "/idp/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "govgraph-app",
                "redirect_uri": f"{base}/app/auth/callback",
                "code_verifier": secrets.token_urlsafe(48),
            },
        )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


async def test_foreign_redirects_and_missing_pkce_are_refused(gateway: RunningGateway) -> None:
    """A redirect_uri other than the app's callback on the same origin gets an error page and
    no redirect; a request without PKCE is sent back with invalid_request."""
    base = gateway.base_url
    _verifier, challenge = _pkce()
    async with httpx.AsyncClient(base_url=base) as client:
        for uri in ("https://elsewhere.example/app/auth/callback", f"{base}/app/other"):
            page = await client.get(
                "/idp/authorize", params=_params(base, challenge, redirect_uri=uri)
            )
            assert page.status_code == 400 and "location" not in page.headers
        no_pkce = await client.get(
            "/idp/authorize", params=_params(base, "", code_challenge_method="plain")
        )
    assert no_pkce.status_code == 303
    assert "error=invalid_request" in no_pkce.headers["location"]
