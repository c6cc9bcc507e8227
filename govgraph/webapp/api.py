"""The app's GraphQL client: POSTs operations to the API like any other client would."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from govgraph.departments import all_departments, camel

__all__ = ["ApiClient", "ApiError", "ApiResult", "ApiUnavailable", "SessionExpired"]

log = logging.getLogger("govgraph.webapp")


_DEPARTMENT_FIELDS = {
    camel(field): d.enum_value for d in all_departments() for field in d.citizen_fields
}
"""Each department's ``Citizen`` fields (as the API spells them) with its ``Department``
value, for errors that do not carry ``extensions.department``."""


class SessionExpired(Exception):
    """The API refused the session's token (expired or revoked): sign in again."""


class ApiUnavailable(Exception):
    """The API could not be reached or answered with something other than GraphQL."""


@dataclass(frozen=True)
class ApiError:
    """One GraphQL error, reduced to what the app needs."""

    code: str
    path: tuple[str | int, ...]
    field: str | None
    department: str | None


@dataclass
class ApiResult:
    """``data`` and the errors of one operation."""

    data: dict[str, Any] | None
    errors: list[ApiError] = field(default_factory=list)

    def departments_down(self) -> set[str]:
        """Departments that could not answer, from errors on their own fields or lists."""
        return {e.department for e in self.errors if e.department}

    def errors_at(self, *path: str | int) -> list[ApiError]:
        """Errors whose path starts with ``path``."""
        return [e for e in self.errors if e.path[: len(path)] == path]

    def codes(self) -> set[str]:
        return {e.code for e in self.errors}


def _error(raw: dict[str, Any]) -> ApiError:
    ext = raw.get("extensions") or {}
    path = tuple(raw.get("path") or ())
    department = ext.get("department")
    if department is None and len(path) >= 2 and isinstance(path[1], str):
        department = _DEPARTMENT_FIELDS.get(path[1])
    return ApiError(
        code=str(ext.get("code", "INTERNAL_SERVER_ERROR")),
        path=path,
        field=ext.get("field"),
        department=department,
    )


class ApiClient:
    """Sends GraphQL operations with the signed-in citizen's bearer token."""

    def __init__(self, url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self._client = httpx.AsyncClient(transport=transport, timeout=30.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run(
        self, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> ApiResult:
        """Run one operation; raise ``SessionExpired`` or ``ApiUnavailable`` when it cannot."""
        try:
            response = await self._client.post(
                self.url,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            log.warning("the API could not be reached: %s", type(exc).__name__)
            raise ApiUnavailable from exc
        if response.status_code == 401:
            raise SessionExpired
        try:
            body = response.json()
        except ValueError as exc:
            log.warning("the API answered HTTP %s without JSON", response.status_code)
            raise ApiUnavailable from exc
        if not isinstance(body, dict):
            raise ApiUnavailable
        errors = [_error(e) for e in body.get("errors") or [] if isinstance(e, dict)]
        if any(e.code == "UNAUTHENTICATED" for e in errors):
            raise SessionExpired
        if response.status_code >= 400 and body.get("data") is None and not errors:
            raise ApiUnavailable
        data = body.get("data")
        return ApiResult(data=data if isinstance(data, dict) else None, errors=errors)
