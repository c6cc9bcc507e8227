"""Generic connectors for legacy systems: SOAP services, mainframe flat files, SQL databases.

Nothing in this package knows about GraphQL, citizens or a particular department.
"""

from __future__ import annotations

from legacy_connectors.base import (
    Connector,
    ConnectorSettings,
    Health,
    PartialRecords,
    Record,
    Result,
)
from legacy_connectors.errors import (
    CircuitOpenError,
    ConfigurationError,
    CorruptRecordError,
    FatalError,
    InvalidInputError,
    LegacyError,
    NotAuthorisedError,
    ProtocolError,
    RecordError,
    RecordNotFoundError,
    RetriableError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.registry import known_kinds, load_kind

__all__ = [
    "CircuitOpenError",
    "ConfigurationError",
    "Connector",
    "ConnectorSettings",
    "CorruptRecordError",
    "FatalError",
    "Health",
    "InvalidInputError",
    "LegacyError",
    "NotAuthorisedError",
    "PartialRecords",
    "ProtocolError",
    "Record",
    "RecordError",
    "RecordNotFoundError",
    "Result",
    "RetriableError",
    "UpstreamBusyError",
    "UpstreamTimeoutError",
    "UpstreamUnavailableError",
    "known_kinds",
    "load_kind",
]
