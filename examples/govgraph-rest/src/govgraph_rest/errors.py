"""The one place where httpx exceptions and HTTP statuses become govgraph's typed errors."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx

from legacy_connectors.errors import (
    InvalidInputError,
    LegacyError,
    NotAuthorisedError,
    ProtocolError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

__all__ = ["decode_json", "status_error", "translate"]


@contextlib.contextmanager
def translate(service: str, what: str) -> Iterator[None]:
    """Turn transport failures of one call (``what``, e.g. ``batch lookup``) into typed errors."""
    try:
        yield
    except LegacyError:
        raise
    except httpx.TimeoutException as exc:
        raise UpstreamTimeoutError(
            f"{service}: {what} timed out", service=service, detail=type(exc).__name__
        ) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        raise UpstreamUnavailableError(
            f"{service}: the API could not be reached for {what}",
            service=service,
            detail=type(exc).__name__,
        ) from exc
    except httpx.HTTPError as exc:
        raise ProtocolError(
            f"{service}: {what} failed at the HTTP level",
            service=service,
            detail=type(exc).__name__,
        ) from exc


def status_error(response: httpx.Response, service: str, what: str) -> LegacyError:
    """The typed error for a non-success status (the body is never copied into the message)."""
    status = response.status_code
    if status in (401, 403):
        return NotAuthorisedError(
            f"{service}: the API rejected the gateway's credentials (HTTP {status})",
            service=service,
        )
    if status in (429, 503):
        retry_after = response.headers.get("retry-after", "")
        return UpstreamBusyError(
            f"{service}: the API is busy (HTTP {status})",
            service=service,
            retry_after_s=float(retry_after) if retry_after.isdigit() else None,
        )
    if status >= 500:
        return UpstreamUnavailableError(
            f"{service}: the API failed (HTTP {status})", service=service
        )
    if status in (400, 422):
        return InvalidInputError(
            f"{service}: the API rejected the request for {what} (HTTP {status})", service=service
        )
    return ProtocolError(f"{service}: unexpected HTTP {status} for {what}", service=service)


def decode_json(response: httpx.Response, service: str, what: str) -> dict[str, Any]:
    """The answer's JSON object, numbers with a fraction read as ``Decimal`` (money stays exact)."""
    try:
        data = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise ProtocolError(
            f"{service}: the answer to {what} is not JSON", service=service
        ) from exc
    if not isinstance(data, dict):
        raise ProtocolError(
            f"{service}: the answer to {what} must be a JSON object, got {type(data).__name__}",
            service=service,
        )
    return data
