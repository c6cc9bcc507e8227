"""WS-Security UsernameToken credentials (from the environment or a secrets file) and the
PasswordDigest header built from them for each call."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from legacy_connectors.errors import ConfigurationError
from legacy_connectors.soap.settings import SoapSettings

__all__ = ["WSSE_NS", "WSU_NS", "Credentials", "load_credentials"]

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
_MESSAGE_SECURITY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password for UsernameToken PasswordDigest; ``repr`` hides the password."""

    username: str
    password: str = field(repr=False)

    def security_header(self) -> str:
        """A fresh ``wsse:Security`` header (new nonce, current time) as serialised XML."""
        nonce = os.urandom(16)
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        digest = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + self.password.encode()).digest()
        ).decode()
        username = self.username.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return (
            f'<wsse:Security xmlns:wsse="{WSSE_NS}"><wsse:UsernameToken xmlns:wsu="{WSU_NS}">'
            f"<wsse:Username>{username}</wsse:Username>"
            f'<wsse:Password Type="{_PROFILE}#PasswordDigest">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{_MESSAGE_SECURITY}#Base64Binary">'
            f"{base64.b64encode(nonce).decode()}</wsse:Nonce>"
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        )


def load_credentials(settings: SoapSettings, service: str) -> Credentials | None:
    """Read the credentials the settings point to; ``None`` when none are configured."""
    username = settings.username
    if settings.username_env:
        username = os.environ.get(settings.username_env) or username
    password: str | None = None
    if settings.password_env:
        password = os.environ.get(settings.password_env)
        if password is None and not settings.password_file:
            raise ConfigurationError(
                f"password_env names {settings.password_env!r}, which is not set",
                service=service,
            )
    if password is None and settings.password_file:
        path = Path(settings.password_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(
                f"password_file {str(path)!r} cannot be read ({type(exc).__name__})",
                service=service,
            ) from exc
        password = lines[0].strip() if lines else ""
        if not password:
            raise ConfigurationError(f"password_file {str(path)!r} is empty", service=service)
    if password is None:
        return None
    if not username:
        raise ConfigurationError(
            "a password is configured but no user name: set username or username_env",
            service=service,
        )
    return Credentials(username, password)
