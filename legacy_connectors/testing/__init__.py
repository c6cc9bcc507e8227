"""Tools for connector authors: the conformance kit every connector kind must pass.

Subclass :class:`ConnectorConformance` in a test module (see its module for the fixtures to
provide), or call the checks in :mod:`legacy_connectors.testing.checks` directly.
:class:`MemoryConnector` is the smallest correct connector, useful as a model and in tests.

This package imports ``pytest`` and ``pytest-asyncio``; import it from tests only.
"""

from __future__ import annotations

from legacy_connectors.testing import changes, checks
from legacy_connectors.testing.changes import ChangeDriver
from legacy_connectors.testing.conformance import ConnectorConformance
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

__all__ = [
    "ChangeDriver",
    "ConnectorConformance",
    "MemoryConnector",
    "MemorySettings",
    "changes",
    "checks",
]
