"""Bearer-token authentication: OpenID Connect style signed JWTs checked against a JWKS.

Only asymmetric algorithms are accepted (``alg: none`` and HMAC never are), the key is chosen
by the token's ``kid`` and must be of the algorithm's family, and ``iss``, ``aud``, ``exp``,
``nbf`` and ``iat`` are always checked. Keys come from a JWKS file or URL; they are cached,
refreshed after ``jwks_cache_s``, and fetched again (at most every ``jwks_min_refresh_s``)
when a token names a ``kid`` not yet known, which is how the issuer's key rotation reaches
the gateway. Verified tokens are cached (by their hash) until they expire.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import jwt

from govgraph.settings import AuthSettings

__all__ = ["ROLES", "AuthError", "Principal", "Role", "TokenVerifier", "confidence_rank"]

log = logging.getLogger("govgraph.auth")

Role = Literal["citizen", "caseworker", "analyst"]
ROLES: tuple[Role, ...] = ("citizen", "caseworker", "analyst")

_CONFIDENCE = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "P4": 4}
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_TYPES = {None, "JWT", "at+jwt", "application/at+jwt"}


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
    purpose_allowed: bool = False
    """Whether ``purpose`` is one of the configured caseworker purposes."""

    @property
    def subject_hash(self) -> str:
        """A pseudonymous reference to the subject (for ledgers and logs)."""
        return hashlib.sha256(self.subject.encode()).hexdigest()[:16]


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenVerifier:
    """Checks bearer tokens against the issuer's keys."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        cache_size: int = 10_000,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self._keys: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._cache_size = cache_size
        self._algorithms = {a for a in settings.algorithms if a[:2] in _KEY_TYPES}
        self._purposes = frozenset(settings.caseworker_purposes)
        self._http = http
        self._own_http = http is None
        self._loaded_at = float("-inf")
        self._refresh_lock = asyncio.Lock()
        if settings.jwks_file:
            self._load_file()

    def _load_file(self) -> None:
        assert self.settings.jwks_file is not None
        self.load_jwks(json.loads(Path(self.settings.jwks_file).read_text()))

    def load_jwks(self, jwks: dict[str, Any]) -> None:
        """Replace the known keys with a JWKS document (key rotation)."""
        keys: dict[str, tuple[Any, dict[str, Any]]] = {}
        for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            if not isinstance(jwk, dict):
                continue
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid or jwk.get("kty") not in ("RSA", "EC"):
                continue
            if jwk.get("use", "sig") != "sig" or "d" in jwk:
                continue
            try:
                keys[kid] = (jwt.PyJWK.from_dict(jwk).key, jwk)
            except jwt.PyJWTError:
                log.warning("skipped an unusable key in the key set", extra={"kid": kid})
        if keys.keys() != self._keys.keys():
            self._cache.clear()
        self._keys = keys
        self._loaded_at = time.monotonic()

    @property
    def kids(self) -> list[str]:
        """Ids of the keys currently trusted."""
        return list(self._keys)

    async def refresh(self, *, force: bool = False) -> bool:
        """Fetch the key set again (file or URL); return whether it was fetched. Callers that
        waited while another fetch completed use its result instead of fetching again."""
        seen = self._loaded_at
        async with self._refresh_lock:
            if self._loaded_at != seen:
                return False
            age = time.monotonic() - self._loaded_at
            if not force and age < self.settings.jwks_min_refresh_s:
                return False
            if self.settings.jwks_url:
                await self._fetch_url(self.settings.jwks_url)
            elif self.settings.jwks_file:
                await asyncio.to_thread(self._load_file)
            else:
                return False
            return True

    async def _fetch_url(self, url: str) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
        try:
            response = await self._http.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            self.load_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            self._loaded_at = time.monotonic()
            log.warning("the key set could not be fetched: %s", type(exc).__name__)

    async def open(self) -> None:
        """Fetch the keys once at start (a failure is retried on the first request)."""
        if self.settings.jwks_url:
            await self.refresh(force=True)

    async def aclose(self) -> None:
        if self._http is not None and self._own_http:
            await self._http.aclose()
        self._http = None

    async def authenticate(self, token: str) -> Principal:
        """Verify ``token``, fetching the key set first if it is stale or lacks the ``kid``."""
        cached = self._cached(token)
        if cached is not None:
            return cached
        stale = time.monotonic() - self._loaded_at > self.settings.jwks_cache_s
        kid = _header(token).get("kid")
        if stale or (isinstance(kid, str) and kid not in self._keys):
            await self.refresh(force=stale)
        return self.verify(token)

    def _cached(self, token: str) -> Principal | None:
        key = _token_key(token)
        cached = self._cache.get(key)
        if cached is None:
            return None
        if cached[0] <= time.time():
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return cached[1]

    def verify(self, token: str) -> Principal:
        """Return the principal for a valid token (known keys only) or raise AuthError."""
        cached = self._cached(token)
        if cached is not None:
            return cached
        header = _header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise AuthError("the bearer token's signature algorithm is not accepted")
        if header.get("typ") not in _TYPES or "crit" in header:
            raise AuthError("the bearer token's header is not accepted")
        kid = header.get("kid")
        entry = self._keys.get(kid) if isinstance(kid, str) else None
        if entry is None:
            raise AuthError("the bearer token was signed by an unknown key")
        key, jwk = entry
        if jwk.get("kty") != _KEY_TYPES[alg[:2]] or jwk.get("alg", alg) != alg:
            raise AuthError("the bearer token's algorithm does not match its key")
        if alg in _CURVES and jwk.get("crv") != _CURVES[alg]:
            raise AuthError("the bearer token's algorithm does not match its key")
        claims = self._decode(token, key, alg)
        principal = self._principal(claims)
        self._cache[_token_key(token)] = (float(claims["exp"]), principal)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "strict_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the bearer token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("the bearer token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the bearer token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the bearer token is from an unknown issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the bearer token lacks the `{exc.claim}` claim") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("the bearer token is invalid") from exc
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > self.settings.max_token_lifetime_s:
            raise AuthError(
                f"the bearer token lives {int(lifetime)} s, more than the "
                f"{self.settings.max_token_lifetime_s} s allowed"
            )
        return claims

    def _principal(self, claims: dict[str, Any]) -> Principal:
        role = claims.get("role")
        if role not in ROLES:
            raise AuthError("the bearer token carries no known role")
        citizen_id = claims.get("citizen_id")
        if role == "citizen" and (not isinstance(citizen_id, str) or not citizen_id):
            raise AuthError("a citizen token must name its citizen")
        purpose = claims.get("purpose") if role == "caseworker" else None
        if purpose is not None and not isinstance(purpose, str):
            raise AuthError("the bearer token's `purpose` must be a string")
        level = claims.get("vot", claims.get("vot_level"))
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            citizen_id=citizen_id if role == "citizen" else None,
            purpose=purpose,
            confidence=level if isinstance(level, str) and level in _CONFIDENCE else "P0",
            purpose_allowed=purpose in self._purposes,
        )


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthError("the bearer token is malformed") from exc
    return header
