"""Errors the API itself raises (as opposed to an upstream's), each with a stable code."""

from __future__ import annotations

from typing import ClassVar

__all__ = ["ApiError", "Forbidden", "InvalidId", "InvalidInput", "NotFound", "Unauthenticated"]


class ApiError(Exception):
    """An error whose message is safe for clients; ``code`` goes to ``extensions.code``."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(ApiError):
    """No valid bearer token was presented where one is needed."""

    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    """The caller is known but may not see this."""

    code = "FORBIDDEN"


class NotFound(ApiError):
    """No such object (or none the caller may know of)."""

    code = "NOT_FOUND"


class InvalidId(ApiError):
    """An id argument is not one this API issued."""

    code = "BAD_USER_INPUT"


class InvalidInput(ApiError):
    """An argument is out of range or malformed."""

    code = "BAD_USER_INPUT"
