"""Errors a legacy connector may raise or return, grouped by what the caller should do next.

- ``RetriableError``: the upstream may answer if asked again later (timeout, unavailable, busy).
- ``FatalError``: asking again will not help until someone fixes something
  (credentials, protocol mismatch, configuration, invalid input).
- ``RecordError``: one record is unusable (not found, corrupt); every other key is unaffected.

Messages are safe to show to an API client: they never contain credentials, request or
response bodies, SQL text, or personal data. Put diagnostic detail that is safe for operators
in ``detail`` (it is logged, never returned to clients).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ChangesExpiredError",
    "CircuitOpenError",
    "ConfigurationError",
    "CorruptRecordError",
    "FatalError",
    "InvalidInputError",
    "LegacyError",
    "NotAuthorisedError",
    "ProtocolError",
    "RecordError",
    "RecordNotFoundError",
    "RetriableError",
    "UpstreamBusyError",
    "UpstreamTimeoutError",
    "UpstreamUnavailableError",
]


class LegacyError(Exception):
    """Root of every error a connector raises or returns for a key."""

    code: ClassVar[str] = "UPSTREAM_ERROR"
    retryable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, service: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.detail = detail

    def with_service(self, service: str) -> LegacyError:
        """Return this error naming ``service`` if it does not name one yet."""
        if self.service is None:
            self.service = service
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, service={self.service!r})"


class RetriableError(LegacyError):
    """The upstream may answer if asked again later."""

    retryable = True


class UpstreamTimeoutError(RetriableError):
    """The upstream did not answer within its timeout."""

    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailableError(RetriableError):
    """The upstream could not be reached, refused the connection or dropped it."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBusyError(RetriableError):
    """The upstream said it is overloaded and asked to be called later."""

    code = "UPSTREAM_BUSY"

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        detail: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, service=service, detail=detail)
        self.retry_after_s = retry_after_s


class CircuitOpenError(RetriableError):
    """Calls to the upstream are suspended after repeated failures."""

    code = "CIRCUIT_OPEN"


class FatalError(LegacyError):
    """Asking again will not help until something is fixed."""


class NotAuthorisedError(FatalError):
    """The upstream rejected the gateway's credentials."""

    code = "UPSTREAM_NOT_AUTHORISED"


class ProtocolError(FatalError):
    """The upstream answered with something the connector cannot understand."""

    code = "UPSTREAM_PROTOCOL_ERROR"


class ConfigurationError(FatalError):
    """The connector's configuration is invalid or does not match the upstream."""

    code = "CONNECTOR_CONFIGURATION"


class InvalidInputError(FatalError):
    """The upstream rejected a key or a request as invalid."""

    code = "UPSTREAM_INVALID_INPUT"


class ChangesExpiredError(FatalError):
    """The upstream's change feed no longer reaches back to the cursor asked for (its log was
    trimmed, or the cursor belongs to another generation of the data): read the source whole
    (``scan``) and take a new cursor."""

    code = "CHANGES_EXPIRED"


class RecordError(LegacyError):
    """One record is unusable; every other key is unaffected."""


class RecordNotFoundError(RecordError):
    """No record exists for the key (connectors usually return ``None`` instead)."""

    code = "NOT_FOUND"


class CorruptRecordError(RecordError):
    """A record exists but could not be decoded."""

    code = "CORRUPT_RECORD"
