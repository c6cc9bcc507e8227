"""Bearer-token authentication: OpenID Connect style signed JWTs checked against a JWKS.

Only asymmetric algorithms are accepted (``alg: none`` and HMAC never are), and ``iss``,
``aud``, ``exp`` and ``nbf`` are always checked. Verified tokens are cached until they expire,
so a client that reuses its token pays for the signature check once.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt

from govgraph.settings import AuthSettings

__all__ = ["AuthError", "Principal", "TokenVerifier", "confidence_rank"]

Role = Literal["citizen", "caseworker", "analyst"]
ROLES: tuple[Role, ...] = ("citizen", "caseworker", "analyst")

_CONFIDENCE = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "P4": 4}


def confidence_rank(level: str | None) -> int:
    """Order identity confidence levels (GOV.UK One Login ``P0``..``P4``)."""
    return _CONFIDENCE.get(level or "P0", 0)


class AuthError(Exception):
    """A token was presented but cannot be accepted; the message is safe to return."""

    code = "UNAUTHENTICATED"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: built from a verified token's claims."""

    subject: str
    role: Role
    citizen_id: str | None = None
    """For citizens: the citizen index id the token speaks for."""
    purpose: str | None = None
    """For caseworkers: the stated purpose of this access."""
    confidence: str = "P0"
    """Identity confidence level (``P0``..``P4``)."""

    @property
    def subject_hash(self) -> str:
        import hashlib

        return hashlib.sha256(self.subject.encode()).hexdigest()[:16]


class TokenVerifier:
    """Checks bearer tokens against the issuer's keys."""

    def __init__(self, settings: AuthSettings, *, cache_size: int = 10_000) -> None:
        self.settings = settings
        self._keys: dict[str, Any] = {}
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._cache_size = cache_size
        self._algorithms = [a for a in settings.algorithms if a[:2] in ("RS", "ES", "PS")]
        if settings.jwks_file:
            self.load_jwks(json.loads(Path(settings.jwks_file).read_text()))

    def load_jwks(self, jwks: dict[str, Any]) -> None:
        """Replace the known keys with a JWKS document (key rotation)."""
        keys = {}
        for jwk in jwks.get("keys", []):
            kid = jwk.get("kid")
            if not kid or jwk.get("kty") not in ("RSA", "EC"):
                continue
            keys[kid] = jwt.PyJWK.from_dict(jwk).key
        self._keys = keys

    def verify(self, token: str) -> Principal:
        """Return the principal for a valid token or raise :class:`AuthError`."""
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(token)
            return cached[1]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("the bearer token is malformed") from exc
        alg = header.get("alg")
        if alg not in self._algorithms:
            raise AuthError("the bearer token's signature algorithm is not accepted")
        key = self._keys.get(header.get("kid", ""))
        if key is None:
            raise AuthError("the bearer token was signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the bearer token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("the bearer token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the bearer token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the bearer token is from an unknown issuer") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("the bearer token is invalid") from exc
        principal = _principal(claims)
        self._cache[token] = (float(claims["exp"]), principal)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal


def _principal(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    if role not in ROLES:
        raise AuthError("the bearer token carries no known role")
    citizen_id = claims.get("citizen_id")
    if role == "citizen" and not isinstance(citizen_id, str):
        raise AuthError("a citizen token must name its citizen")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        citizen_id=citizen_id if role == "citizen" else None,
        purpose=claims.get("purpose") if role == "caseworker" else None,
        confidence=str(claims.get("vot_level", "P2")),
    )
