"""The plugin's ``rest`` kind, loaded by entry point, passes the conformance kit in this repo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from legacy_connectors.testing import ConnectorConformance
from tests.integration_kit.land import LandRegistry


class TestRestKindConformance(ConnectorConformance):
    kind = "rest"

    @pytest.fixture
    def connector_options(self, land_registry: LandRegistry) -> Mapping[str, Any]:
        return land_registry.options(batch_size=5)

    @pytest.fixture
    def known_keys(self, land_registry: LandRegistry) -> Sequence[str]:
        return [t["title_number"] for t in land_registry.titles if not t.get("unreadable")][:8]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["ZZ000001"]

    @pytest.fixture
    def failing_key(self, land_registry: LandRegistry) -> str | None:
        return next(t["title_number"] for t in land_registry.titles if t.get("unreadable"))

    @pytest.fixture
    def unreachable_options(self, land_registry: LandRegistry) -> Mapping[str, Any] | None:
        return land_registry.options(base_url="http://127.0.0.1:9", timeout_s=2.0)
