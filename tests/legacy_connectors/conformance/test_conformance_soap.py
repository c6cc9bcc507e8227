"""The ``soap`` kind passes the conformance kit against the simulated tax service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.store import CHANGE_LOG_LIMIT
from fixtures.tax.testing import TaxService, running_tax_service
from fixtures.writes import commands
from legacy_connectors.base import Connector
from legacy_connectors.testing import ChangeDriver, ConnectorConformance


@pytest.fixture(scope="module")
def conformance_tax(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaxService]:
    """The simulated tax service over a small population, on a loopback port."""
    with running_tax_service(tmp_path_factory.mktemp("conformance-tax"), size=40) as service:
        yield service


class DepartmentEdits(ChangeDriver):
    """Changes the tax department makes itself: addresses changed and taxpayers closed (each
    logged in the service's change log); a cursor expires when the log is trimmed past it."""

    def __init__(self, service: TaxService) -> None:
        self.service = service
        self.edits = 0

    async def change(self, keys: Sequence[str]) -> None:
        self.edits += 1
        address = {"Line": [f"{self.edits} Feed Street"], "Town": "Eastmoor", "PostCode": "EM1 1FD"}
        self.service.change_records(addresses={key: address for key in keys})

    async def remove(self, keys: Sequence[str]) -> bool:
        self.service.change_records(remove=list(keys))
        return True

    async def expire(self, connector: Connector) -> str | None:
        cursor = await connector.change_cursor()
        nino = self.service.ninos[-1]
        for _ in range(2):
            await self.change([nino])
        self.service.keep_changes(1)
        self.service.keep_changes(CHANGE_LOG_LIMIT)
        return cursor


class TestSoapConformance(ConnectorConformance):
    kind = "soap"

    @pytest.fixture
    def connector_options(self, conformance_tax: TaxService) -> Mapping[str, Any]:
        options = source_options(conformance_tax.data_dir, conformance_tax.base_url)
        return {**options, "commands": commands("tax", conformance_tax.data_dir)}

    @pytest.fixture
    def known_keys(self, conformance_tax: TaxService) -> Sequence[str]:
        return conformance_tax.ninos[:6]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["AB123456C", "CE654321A"]

    @pytest.fixture
    def failing_key(self) -> str | None:
        return "NOT-A-NINO"

    @pytest.fixture
    def write_command(self, known_keys: Sequence[str]) -> tuple[str, Mapping[str, Any]] | None:
        address = {"lines": ["3 Conformance Row"], "town": "Eastmoor", "postcode": "EM3 3CC"}
        return "change_address", {"nino": known_keys[0], "address": address}

    @pytest.fixture
    def change_driver(self, conformance_tax: TaxService) -> ChangeDriver | None:
        return DepartmentEdits(conformance_tax)

    @pytest.fixture
    def unreachable_options(self, conformance_tax: TaxService) -> Mapping[str, Any] | None:
        options = source_options(conformance_tax.data_dir, conformance_tax.base_url)
        return {**options, "endpoint": "http://127.0.0.1:9/tax", "timeout_s": 2.0}
