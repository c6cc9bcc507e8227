"""Generic connectors for legacy systems: SOAP services, mainframe flat files, SQL databases.

Nothing in this package knows about GraphQL, citizens or a particular department.
"""

from __future__ import annotations

import typing

from legacy_connectors import lazy as _lazy

if typing.TYPE_CHECKING:
    from legacy_connectors.base import (
        ChangePage,
        Connector,
        ConnectorSettings,
        Health,
        PartialRecords,
        Record,
        Result,
    )
    from legacy_connectors.errors import (
        ChangesExpiredError,
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
    "ChangePage",
    "ChangesExpiredError",
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

__getattr__ = _lazy.lazy_exports(
    globals(),
    {
        "ChangePage": "legacy_connectors.base",
        "ChangesExpiredError": "legacy_connectors.errors",
        "Connector": "legacy_connectors.base",
        "ConnectorSettings": "legacy_connectors.base",
        "Health": "legacy_connectors.base",
        "PartialRecords": "legacy_connectors.base",
        "Record": "legacy_connectors.base",
        "Result": "legacy_connectors.base",
        "CircuitOpenError": "legacy_connectors.errors",
        "ConfigurationError": "legacy_connectors.errors",
        "CorruptRecordError": "legacy_connectors.errors",
        "FatalError": "legacy_connectors.errors",
        "InvalidInputError": "legacy_connectors.errors",
        "LegacyError": "legacy_connectors.errors",
        "NotAuthorisedError": "legacy_connectors.errors",
        "ProtocolError": "legacy_connectors.errors",
        "RecordError": "legacy_connectors.errors",
        "RecordNotFoundError": "legacy_connectors.errors",
        "RetriableError": "legacy_connectors.errors",
        "UpstreamBusyError": "legacy_connectors.errors",
        "UpstreamTimeoutError": "legacy_connectors.errors",
        "UpstreamUnavailableError": "legacy_connectors.errors",
        "known_kinds": "legacy_connectors.registry",
        "load_kind": "legacy_connectors.registry",
    },
)
