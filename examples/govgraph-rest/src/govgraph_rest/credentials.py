"""Where the bearer token comes from: an environment variable or a file, never the config."""

from __future__ import annotations

import os
from pathlib import Path

from legacy_connectors.errors import ConfigurationError

__all__ = ["load_token"]


def load_token(token_env: str | None, token_file: str | None, service: str) -> str | None:
    """The token, ``None`` when none is configured; a configured but absent one is an error."""
    if token_env:
        value = os.environ.get(token_env, "").strip()
        if not value:
            raise ConfigurationError(
                f"{service}: token_env names {token_env!r}, which is unset or empty",
                service=service,
            )
        return value
    if token_file:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(
                f"{service}: token_file {token_file!r} cannot be read ({type(exc).__name__})",
                service=service,
            ) from exc
        value = lines[0].strip() if lines else ""
        if not value:
            raise ConfigurationError(
                f"{service}: token_file {token_file!r} is empty", service=service
            )
        return value
    return None
