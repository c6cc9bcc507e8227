"""The ``rest`` kind, found by its entry point, passes govgraph's conformance kit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from conftest import Registry

from legacy_connectors.testing import ConnectorConformance


class TestRestBatchConformance(ConnectorConformance):
    """Lookups through the batch endpoint."""

    kind = "rest"

    @pytest.fixture
    def connector_options(self, registry: Registry) -> Mapping[str, Any]:
        return registry.options(batch_size=4)

    @pytest.fixture
    def known_keys(self, registry: Registry) -> Sequence[str]:
        return registry.readable[:9]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["ZZ000001", "ZZ000002"]

    @pytest.fixture
    def failing_key(self, registry: Registry) -> str | None:
        return registry.unreadable[0]

    @pytest.fixture
    def unreachable_options(self, registry: Registry) -> Mapping[str, Any] | None:
        return registry.options(base_url="http://127.0.0.1:9", timeout_s=2.0)


class TestRestSingleCallConformance(TestRestBatchConformance):
    """Lookups with one call per key (no batch endpoint configured)."""

    @pytest.fixture
    def connector_options(self, registry: Registry) -> Mapping[str, Any]:
        return registry.options(batch_path=None, concurrency=3)
