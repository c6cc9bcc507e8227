"""The demo's own small identity provider: a signing key, its JWKS, and tokens for personas.

Production points ``[auth]`` at a real OpenID Connect issuer; the demo runs this one so that
the gateway validates tokens exactly as it would in production. The demo gateway serves it at
``/.well-known/openid-configuration``, ``/.well-known/jwks.json``, ``/idp/authorize`` (a page
to pick a demo persona: authorization code flow with PKCE, ``govgraph.idp_authorize``) and
``POST /idp/token``; the token endpoint mints citizen tokens only for citizens the citizen index
knows.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph.idp_authorize import DEMO_CLIENT_ID, AuthorizationCodes, authorize_endpoint
from govgraph.index import CitizenIndexError
from govgraph.personas import Persona

__all__ = [
    "DEMO_AUDIENCE",
    "DEMO_CLIENT_ID",
    "DEMO_ISSUER",
    "CitizenDirectory",
    "DemoIdentityProvider",
    "SignIn",
    "identity_provider",
    "idp_routes",
]

DEMO_ISSUER = "govgraph-demo-idp"
DEMO_AUDIENCE = "govgraph"

log = logging.getLogger("govgraph.idp")

_KEPT_KEYS = 2
_ROLES = ("citizen", "caseworker", "analyst")
_LEVELS = ("P0", "P1", "P2", "P3", "P4")
_MAX_LIFETIME_S = 3600
_MAX_FORM_BYTES = 4096
_MAX_CITIZEN_ID = 64


class CitizenDirectory(Protocol):
    """Who the token endpoint may speak for: the citizen index (``CitizenIndex``)."""

    async def profiles(self, citizen_ids: Sequence[str]) -> Mapping[str, Any]:
        """The known citizens among ``citizen_ids`` (unknown ids absent)."""
        ...


class SignIn(Protocol):
    """What the authorization endpoint needs: the personas and a page renderer."""

    async def personas(self) -> list[Persona]: ...

    def render(self, template: str, context: dict[str, object]) -> str: ...


class DemoIdentityProvider:
    """Keeps an RSA signing key in ``keys_dir`` and mints tokens with it."""

    def __init__(self, keys_dir: Path, *, issuer: str, audience: str) -> None:
        self.keys_dir = keys_dir
        self.issuer = issuer
        self.audience = audience
        self._private_path = keys_dir / "signing-key.pem"
        self.jwks_path = keys_dir / "jwks.json"
        if not self._private_path.exists():
            self._create_key()
        self._load()

    def _load(self) -> None:
        key = serialization.load_pem_private_key(self._private_path.read_bytes(), None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self._private_path}: expected an RSA private key")
        self._key = key
        self.kid: str = json.loads(self.jwks_path.read_text())["keys"][0]["kid"]

    def _create_key(self) -> None:
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"})
        previous = json.loads(self.jwks_path.read_text())["keys"] if self.jwks_path.exists() else []
        tmp = self._private_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        keys = [jwk, *previous][:_KEPT_KEYS]
        self.jwks_path.write_text(json.dumps({"keys": keys}, indent=2))
        tmp.replace(self._private_path)

    def rotate(self) -> str:
        """Start signing with a new key; the previous one stays in the JWKS. Return the new kid."""
        self._create_key()
        self._load()
        return self.kid

    def jwks(self) -> dict[str, Any]:
        """The public key set, as served at ``/.well-known/jwks.json``."""
        data: dict[str, Any] = json.loads(self.jwks_path.read_text())
        return data

    def token(
        self,
        *,
        role: str,
        subject: str | None = None,
        citizen_id: str | None = None,
        purpose: str | None = None,
        confidence: str = "P2",
        lifetime_s: int = 3600,
    ) -> str:
        """A signed access token for a demo persona."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or (f"urn:demo:{role}:{citizen_id or uuid.uuid4().hex[:8]}"),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "jti": uuid.uuid4().hex,
            "role": role,
            "vot": confidence,
        }
        if citizen_id is not None:
            claims["citizen_id"] = citizen_id
        if purpose is not None:
            claims["purpose"] = purpose
        return jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "at+jwt"}
        )

    def id_token(
        self, *, citizen_id: str, client_id: str, nonce: str | None, lifetime_s: int = 3600
    ) -> str:
        """A signed OpenID Connect ID token for the client that signed a persona in."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client_id,
            "sub": f"urn:demo:citizen:{citizen_id}",
            "iat": now,
            "exp": now + lifetime_s,
            "vot": "P2",
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


async def _form(request: Request) -> dict[str, str] | None:
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        return None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return {str(k): str(v) for k, v in data.items() if v is not None}
    try:
        return dict(parse_qsl(body.decode(), max_num_fields=20))
    except (UnicodeDecodeError, ValueError):
        return None


def identity_provider(data_dir: Path) -> DemoIdentityProvider:
    """The demo identity provider whose keys are kept under ``data_dir/keys``."""
    return DemoIdentityProvider(data_dir / "keys", issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)


def _error(message: str, error: str = "invalid_request", status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": message}, status)


def idp_routes(
    idp: DemoIdentityProvider, citizens: CitizenDirectory, sign_in: SignIn | None = None
) -> list[Route]:
    """Discovery, key set and a token endpoint for demo personas (demo profile only); citizen
    tokens are issued only for ids ``citizens`` knows. With ``sign_in``, also the
    authorization endpoint (code flow with PKCE) where a person picks a persona."""
    codes = AuthorizationCodes()

    async def unknown_citizen(citizen_id: str) -> Response | None:
        if len(citizen_id) > _MAX_CITIZEN_ID:
            return _error("`citizen_id` is not a citizen in the citizen index")
        try:
            known = await citizens.profiles([citizen_id])
        except CitizenIndexError as exc:
            log.error("the token endpoint cannot read the citizen index: %s", exc)
            return _error(
                "the citizen index cannot be read just now", "temporarily_unavailable", 503
            )
        if citizen_id not in known:
            return _error("`citizen_id` is not a citizen in the citizen index")
        return None

    async def configuration(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "issuer": idp.issuer,
                "jwks_uri": f"{base}/.well-known/jwks.json",
                "token_endpoint": f"{base}/idp/token",
                "authorization_endpoint": f"{base}/idp/authorize",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "urn:govgraph:demo-persona"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "claims_supported": ["sub", "role", "citizen_id", "purpose", "vot"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(idp.jwks(), headers={"cache-control": "public, max-age=300"})

    async def token(request: Request) -> Response:
        form = await _form(request)
        if form is None:
            return _error("send a JSON object or a form of at most 4 KiB")
        if form.get("grant_type") == "authorization_code":
            return code_token(form)
        role = form.get("role", "")
        if role not in _ROLES:
            return _error(f"`role` must be one of {', '.join(_ROLES)}")
        confidence = form.get("confidence", "P2")
        if confidence not in _LEVELS:
            return _error("`confidence` must be one of P0..P4")
        lifetime_text = form.get("lifetime", str(_MAX_LIFETIME_S))
        if not lifetime_text.isdigit() or not 1 <= int(lifetime_text) <= _MAX_LIFETIME_S:
            return _error(f"`lifetime` must be whole seconds between 1 and {_MAX_LIFETIME_S}")
        citizen = form.get("citizen_id")
        if role == "citizen" and not citizen:
            return _error("a citizen token needs `citizen_id`")
        if role == "citizen" and citizen:
            refused = await unknown_citizen(citizen)
            if refused is not None:
                return refused
        purpose = form.get("purpose")
        access = idp.token(
            role=role,
            citizen_id=citizen if role == "citizen" else None,
            purpose=purpose if role == "caseworker" and purpose else None,
            confidence=confidence,
            lifetime_s=int(lifetime_text),
        )
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": int(lifetime_text)},
            headers={"cache-control": "no-store"},
        )

    def code_token(form: dict[str, str]) -> Response:
        grant = codes.redeem(
            form.get("code", ""),
            client_id=form.get("client_id", ""),
            redirect_uri=form.get("redirect_uri", ""),
            code_verifier=form.get("code_verifier", ""),
        )
        if grant is None:
            return _error(
                "the code is unknown, used, expired or does not match the client, "
                "redirect_uri or code_verifier",
                "invalid_grant",
            )
        access = idp.token(role="citizen", citizen_id=grant.citizen_id, lifetime_s=_MAX_LIFETIME_S)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": _MAX_LIFETIME_S,
                "id_token": idp.id_token(
                    citizen_id=grant.citizen_id, client_id=grant.client_id, nonce=grant.nonce
                ),
            },
            headers={"cache-control": "no-store"},
        )

    routes = [
        Route("/.well-known/openid-configuration", configuration),
        Route("/.well-known/jwks.json", jwks),
        Route("/idp/token", token, methods=["POST"]),
    ]
    if sign_in is not None:
        endpoint = authorize_endpoint(codes, sign_in.personas, sign_in.render)
        routes.append(Route("/idp/authorize", endpoint, methods=["GET", "POST"]))
    return routes
