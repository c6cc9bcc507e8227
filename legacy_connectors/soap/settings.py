"""Settings of the ``soap`` connector kind: the WSDL, the operations, where keys and records are."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from legacy_connectors.base import ConnectorSettings
from legacy_connectors.soap.commands import SoapCommand

__all__ = ["SoapSettings"]


class SoapSettings(ConnectorSettings):
    """How to reach one SOAP service and turn keys into records.

    Paths are dotted element names. ``key_path`` is relative to the request's wrapper element
    (``Nino`` puts the key in ``<GetTaxpayer><Nino>``); ``result_path`` is relative to the
    response's wrapper element (``Taxpayer`` reads ``<GetTaxpayerResponse><Taxpayer>``).
    """

    wsdl: str
    """Path or URL of the WSDL; it is read once, at start-up."""
    service: str | None = None
    """Service name in the WSDL; the first service when omitted."""
    port: str | None = None
    """Port name in the service; the first port when omitted."""
    endpoint: str | None = None
    """Overrides the port's ``soap:address`` location."""
    operation: str
    """Operation that looks up one key."""
    batch_operation: str | None = None
    """Operation that looks up many keys in one call; single calls are made when omitted."""
    batch_size: int = Field(default=100, ge=1)
    """Most keys per batch call (the service's cap)."""
    key_path: str
    """Where the key goes in the single (and, unless ``batch_key_path`` is set, batch) request."""
    batch_key_path: str | None = None
    """Where the repeated key goes in the batch request; defaults to ``key_path``."""
    result_path: str
    """Where the record is in the single response."""
    batch_result_path: str | None = None
    """Where the repeated records are in the batch response; defaults to ``result_path``."""
    result_key_path: str | None = None
    """The key inside each returned record, to match batch results to keys."""
    request_values: dict[str, Any] = Field(default_factory=dict)
    """Fixed values to send in every lookup request, by dotted path."""
    scan_operation: str | None = None
    """Operation that lists every record page by page (enables ``scan()``)."""
    scan_result_path: str | None = None
    """Where the records are in a scan response; defaults to ``batch_result_path``."""
    scan_page_size_path: str | None = None
    """Where the page size goes in the scan request."""
    scan_page_token_path: str | None = None
    """Where the page token goes in the scan request (omitted on the first page)."""
    scan_next_token_path: str | None = None
    """Where the next page's token is in the scan response (absent on the last page)."""
    scan_token_is_position: bool = False
    """The page token is the position of the page's first record (``0`` for the first page),
    as a decimal number: any page can then be asked for without the one before it, and pages
    are read concurrently (within the source's bulkhead) by a paged read."""
    changes_operation: str | None = None
    """Operation that lists, page by page, the keys changed and removed after a position in
    the service's change log (enables the change feed, with ``changes_position_operation``).
    Changed keys' records are then read with the lookup operations."""
    changes_position_operation: str | None = None
    """Operation (without arguments) that answers the change log's newest position."""
    changes_position_path: str | None = None
    """Where the newest position is in that operation's response."""
    changes_since_path: str | None = None
    """Where the position to list after goes in the changes request."""
    changes_page_size_path: str | None = None
    """Where the page size goes in the changes request."""
    changes_changed_path: str | None = None
    """Where the repeated changed entries are in the changes response."""
    changes_removed_path: str | None = None
    """Where the repeated removed entries are (omit when the service reports no removals)."""
    changes_key_path: str | None = None
    """The key inside each changed or removed entry (default: the entry itself)."""
    changes_next_path: str | None = None
    """Where the position to continue from is in the changes response."""
    changes_more_path: str | None = None
    """Where the response says whether more changes follow (a boolean)."""
    changes_expired_fault_codes: list[str] = Field(
        default_factory=lambda: ["ChangesExpired", "CHANGES_EXPIRED", "CursorExpired"]
    )
    """Fault codes or detail names meaning the change log no longer reaches back to the
    position asked for (the feed raises ``ChangesExpiredError``: read the source whole)."""
    health_operation: str | None = None
    """Operation ``/readyz`` calls to check the service: a real, valid, cheap call that the
    service does not count as a fault. When omitted, the scan operation is asked for one record
    (``scan_page_size_path`` = 1); with no scan operation either, an empty POST is sent and any
    HTTP answer counts as up (a strict service may count that as a fault: set this then)."""
    health_arguments: dict[str, Any] = Field(default_factory=dict)
    """Arguments of ``health_operation`` by element name (as zeep takes them)."""
    username: str | None = None
    """WS-Security user name (not a secret); ``username_env`` takes precedence when set."""
    username_env: str | None = None
    """Environment variable holding the WS-Security user name."""
    password_env: str | None = None
    """Environment variable holding the WS-Security password."""
    password_file: str | None = None
    """File holding the WS-Security password (first line); used when ``password_env`` is unset."""
    concurrency: int = Field(default=8, ge=1, le=256)
    """Most calls in flight to this service at once (also the HTTP connection pool size)."""
    timeout_s: float = Field(default=10.0, gt=0)
    """Total time allowed for one call, connection included."""
    request_id_header: str | None = "{urn:govgraph:request:v1}RequestId"
    """SOAP header element (Clark notation) carrying the gateway request's id, sent when a
    request id is known; ``None`` sends none. It has no ``mustUnderstand``: services ignore it."""
    fast_path: bool = True
    """Use the envelope template and lxml extraction compiled from the WSDL for the configured
    operations when their types allow it; zeep builds and parses otherwise."""
    parse_in_thread_bytes: int = Field(default=65536, ge=0)
    """Responses larger than this are parsed on a worker thread, not on the event loop."""
    not_found_fault_codes: list[str] = Field(
        default_factory=lambda: ["NotFound", "NOT_FOUND", "RecordNotFound", "NotFoundFault"]
    )
    """Fault codes, subcodes or detail element names meaning "no such key" (gives ``None``)."""
    invalid_input_fault_codes: list[str] = Field(
        default_factory=lambda: [
            "InvalidInput",
            "InvalidRequest",
            "INVALID_REQUEST",
            "ValidationFault",
            "Client",
            "Sender",
        ]
    )
    """Fault codes or detail names meaning the request was invalid (names starting ``Invalid``
    also match)."""
    not_authorised_fault_codes: list[str] = Field(
        default_factory=lambda: [
            "NotAuthorised",
            "NotAuthorized",
            "NOT_AUTHORISED",
            "FailedAuthentication",
            "InvalidSecurity",
            "InvalidSecurityToken",
            "FailedCheck",
            "AccessDenied",
        ]
    )
    """Fault codes or detail names meaning the credentials were rejected."""
    busy_fault_codes: list[str] = Field(
        default_factory=lambda: ["ServiceBusy", "SERVICE_BUSY", "ServerBusy", "TooManyRequests"]
    )
    """Fault codes or detail names meaning the service is overloaded."""
    commands: dict[str, SoapCommand] = Field(default_factory=dict)
    """Write commands by name (``submit``): an operation each, attempted once per call."""

    @model_validator(mode="before")
    @classmethod
    def _reject_plain_password(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("password", "passwd", "secret"):
                if name in data:
                    raise ValueError(
                        f"{name!r} must not be given in configuration: set password_env "
                        "(an environment variable's name) or password_file instead"
                    )
        return data

    @model_validator(mode="after")
    def _check_batch(self) -> SoapSettings:
        if self.batch_operation and not self.result_key_path:
            raise ValueError("result_key_path is required with batch_operation")
        if self.scan_operation and not self.result_key_path:
            raise ValueError("result_key_path is required with scan_operation")
        if self.changes_operation:
            needed = {
                "changes_position_operation": self.changes_position_operation,
                "changes_position_path": self.changes_position_path,
                "changes_since_path": self.changes_since_path,
                "changes_page_size_path": self.changes_page_size_path,
                "changes_changed_path": self.changes_changed_path,
                "changes_next_path": self.changes_next_path,
                "changes_more_path": self.changes_more_path,
                "result_key_path": self.result_key_path,
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise ValueError(f"changes_operation needs {', '.join(missing)}")
        return self
