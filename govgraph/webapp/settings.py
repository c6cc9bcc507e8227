"""Settings of the citizen app (the ``[webapp]`` section of ``govgraph.toml``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["WebAppSettings"]


class WebAppSettings(BaseModel):
    """The citizen app served at ``/app``: where its API and identity provider are."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    enabled: bool = True
    """Serve the citizen app at ``/app``."""
    api_url: str | None = None
    """The GraphQL endpoint the app calls; unset means this gateway's own ``/graphql``
    (called in-process through the ASGI app, like any HTTP client)."""
    oidc_discovery_url: str | None = None
    """The OpenID provider's ``/.well-known/openid-configuration``; unset means the demo
    identity provider of this gateway (demo profile only)."""
    client_id: str = "govgraph-app"
    """The app's client id at the OpenID provider."""
    client_secret: str | None = None
    """The app's client secret, for providers that require one (PKCE is always used)."""
    scope: str = "openid"
    """Scopes asked for at sign-in."""
    secure_cookies: bool | None = None
    """Mark the session cookie ``Secure``; unset means on outside the demo profile."""
    session_ttl_s: int = Field(default=1800, gt=0)
    """Seconds a session lasts without being used."""
    max_sessions: int = Field(default=10_000, gt=0)
    """Most sessions kept at once (the least recently used go first)."""
