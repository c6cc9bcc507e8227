"""The demo's own small identity provider: a signing key, its JWKS, and tokens for personas.

Production points ``[auth]`` at a real OpenID Connect issuer; the demo runs this one so that
the gateway validates tokens exactly as it would in production.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["DemoIdentityProvider"]


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
        key = serialization.load_pem_private_key(self._private_path.read_bytes(), None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self._private_path}: expected an RSA private key")
        self._key = key
        self.kid = json.loads(self.jwks_path.read_text())["keys"][0]["kid"]

    def _create_key(self) -> None:
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self._private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"})
        self.jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2))

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
            "role": role,
            "vot_level": confidence,
        }
        if citizen_id is not None:
            claims["citizen_id"] = citizen_id
        if purpose is not None:
            claims["purpose"] = purpose
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
