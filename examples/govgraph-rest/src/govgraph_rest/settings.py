"""Settings of the ``rest`` connector kind: where the JSON API is and how its answers look."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from legacy_connectors.base import ConnectorSettings

__all__ = ["RestSettings"]


class RestSettings(ConnectorSettings):
    """A JSON-over-HTTP API that serves one record per key, optionally in batches and pages.

    Paths are relative to ``base_url``. ``record_path`` contains ``{key}`` (URL-quoted).
    """

    base_url: str
    """Scheme, host and port (and any path prefix) of the API, e.g. ``http://127.0.0.1:8300``."""
    record_path: str = "/records/{key}"
    """``GET`` path of one record; 404 means the key is unknown."""
    batch_path: str | None = None
    """``GET`` path answering many keys at once (``?<batch_param>=k1,k2``); single calls are
    made when unset."""
    batch_param: str = "ids"
    """Query parameter carrying the comma-separated keys of a batch."""
    batch_size: int = Field(default=50, ge=1, le=1000)
    """Most keys per batch call."""
    records_field: str = "records"
    """Field of a batch or page answer holding the list of records."""
    errors_field: str = "errors"
    """Field of a batch answer listing keys that could not be served (``{key_field, code}``)."""
    key_field: str = "id"
    """Field of each record (and each error entry) holding its key."""
    scan_path: str | None = None
    """``GET`` path listing every record page by page (enables ``scan()``)."""
    page_size_param: str = "limit"
    """Query parameter carrying the page size of a scan."""
    cursor_param: str = "after"
    """Query parameter carrying the cursor of the next page."""
    next_cursor_field: str = "next"
    """Field of a page answer holding the next page's cursor (absent or null on the last)."""
    health_path: str = "/health"
    """``GET`` path answering 200 when the API is up; its JSON object becomes health facts."""
    token_env: str | None = None
    """Environment variable holding a bearer token sent with every call."""
    token_file: str | None = None
    """File holding the bearer token (first line); used when ``token_env`` is unset."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers (not secrets: use ``token_env`` or ``token_file``)."""
    timeout_s: float = Field(default=5.0, gt=0)
    """Total time allowed for one HTTP call, connection included."""
    concurrency: int = Field(default=8, ge=1, le=256)
    """Most calls in flight at once (also the connection pool size)."""

    @model_validator(mode="before")
    @classmethod
    def _reject_plain_token(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("token", "password", "api_key"):
                if name in data:
                    raise ValueError(
                        f"{name!r} must not be given in configuration: set token_env "
                        "(an environment variable's name) or token_file instead"
                    )
        return data

    @model_validator(mode="after")
    def _check_paths(self) -> RestSettings:
        if "{key}" not in self.record_path:
            raise ValueError(f"record_path must contain '{{key}}', got {self.record_path!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        for header in self.headers:
            if header.lower() in ("authorization", "cookie"):
                raise ValueError(f"header {header!r} carries a secret: use token_env or token_file")
        return self
