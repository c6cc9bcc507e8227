"""The ``flatfile`` kind passes the conformance kit over the benefits department's batch file,
with one detail record's date of birth overwritten by bytes that are not a date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from fixtures.benefits import source_options, write
from fixtures.model import Population
from fixtures.writes import commands
from legacy_connectors.testing import ConnectorConformance

NINO_OFFSET = 11
"""Byte offset of NINO in a detail record (after REC-TYPE and CLAIM-ID)."""
DOB_OFFSET = 90
"""Byte offset of DATE-OF-BIRTH, PIC 9(8), in a detail record."""


def _claimants(population: Population) -> list[str]:
    return [p.benefits[0].nino for p in population.people if len(p.benefits) == 1]


@pytest.fixture(scope="module")
def benefits_data(
    tmp_path_factory: pytest.TempPathFactory, conformance_population: Population
) -> Path:
    """The batch file, with the first single-claim claimant's record made undecodable."""
    out = tmp_path_factory.mktemp("conformance-benefits")
    write(conformance_population, out)
    victim = _claimants(conformance_population)[0]
    [batch] = (out / "benefits").glob("BENEFITS.D*")
    data = bytearray(batch.read_bytes())
    start = data.index(victim.encode("cp037")) - NINO_OFFSET
    data[start + DOB_OFFSET : start + DOB_OFFSET + 8] = "20261399".encode("cp037")
    batch.write_bytes(bytes(data))
    return out


class TestFlatFileConformance(ConnectorConformance):
    kind = "flatfile"

    @pytest.fixture
    def connector_options(self, benefits_data: Path) -> Mapping[str, Any]:
        return {**source_options(benefits_data), "commands": commands("benefits", benefits_data)}

    @pytest.fixture
    def known_keys(self, conformance_population: Population) -> Sequence[str]:
        return _claimants(conformance_population)[1:7]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["AB123456C", "CE654321A"]

    @pytest.fixture
    def failing_key(self, conformance_population: Population) -> str | None:
        return _claimants(conformance_population)[0]

    @pytest.fixture
    def write_command(self, known_keys: Sequence[str]) -> tuple[str, Mapping[str, Any]] | None:
        address = {"lines": ["4 Conformance Row"], "town": "Hartley", "postcode": "HT4 4DD"}
        return "change_address", {"nino": known_keys[0], "address": address}

    @pytest.fixture
    def unreachable_options(self, benefits_data: Path) -> Mapping[str, Any] | None:
        options = source_options(benefits_data)
        return {**options, "directory": str(benefits_data / "not-mounted")}
