"""The conformance kit applied to the in-memory reference connector: every test passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from legacy_connectors.base import Connector
from legacy_connectors.testing import ConnectorConformance, MemoryConnector

RECORDS = {f"K{n:03d}": {"ref": f"K{n:03d}", "amount": n * 10} for n in range(1, 13)}


class TestMemoryConformance(ConnectorConformance):
    kind = "memory"

    @pytest.fixture
    def connector_class(self) -> type[Connector]:
        return MemoryConnector

    @pytest.fixture
    def connector_options(self) -> Mapping[str, Any]:
        return {"records": RECORDS, "corrupt_keys": ["K012"], "commands": ["change_address"]}

    @pytest.fixture
    def known_keys(self) -> Sequence[str]:
        return ["K001", "K002", "K005", "K011"]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["K900", "K901"]

    @pytest.fixture
    def failing_key(self) -> str | None:
        return "K012"

    @pytest.fixture
    def write_command(self) -> tuple[str, Mapping[str, Any]] | None:
        return "change_address", {"key": "K001", "postcode": "MB1 1AA"}

    @pytest.fixture
    def unreachable_options(self) -> Mapping[str, Any] | None:
        return {"records": RECORDS, "available": False}
