"""The ``flatfile`` kind passes the conformance kit over the benefits department's batch file,
with one detail record's date of birth overwritten by bytes that are not a date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fixtures.benefits import source_options, write, write_next
from fixtures.model import Person, Population
from fixtures.writes import commands
from legacy_connectors.base import Connector
from legacy_connectors.testing import ChangeDriver, ConnectorConformance

NINO_OFFSET = 11
"""Byte offset of NINO in a detail record (after REC-TYPE and CLAIM-ID)."""
DOB_OFFSET = 90
"""Byte offset of DATE-OF-BIRTH, PIC 9(8), in a detail record."""


def _claimants(population: Population) -> list[str]:
    return [p.benefits[0].nino for p in population.people if len(p.benefits) == 1]


def _corrupt(batch: Path, nino: str) -> None:
    """Overwrite the date of birth of ``nino``'s record in ``batch`` with bytes not a date."""
    data = bytearray(batch.read_bytes())
    start = data.index(nino.encode("cp037")) - NINO_OFFSET
    data[start + DOB_OFFSET : start + DOB_OFFSET + 8] = "20261399".encode("cp037")
    batch.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def benefits_data(
    tmp_path_factory: pytest.TempPathFactory, conformance_population: Population
) -> Path:
    """The batch file, with the first single-claim claimant's record made undecodable."""
    out = tmp_path_factory.mktemp("conformance-benefits")
    write(conformance_population, out)
    [batch] = (out / "benefits").glob("BENEFITS.D*")
    _corrupt(batch, _claimants(conformance_population)[0])
    return out


class NightlyExtract(ChangeDriver):
    """Changes claims the way the department does: the next night's full extract is written
    as a new generation (with the same undecodable record as the first one)."""

    def __init__(self, population: Population, out: Path) -> None:
        self.population = population
        self.people: list[Person] = list(population.people)
        self.out = out
        self.victim = _claimants(population)[0]

    def _write(self) -> Path:
        batch = write_next(replace(self.population, people=self.people), self.out)
        _corrupt(batch, self.victim)
        return batch

    async def change(self, keys: Sequence[str]) -> None:
        wanted = set(keys)
        self.people = [
            replace(
                person,
                benefits=[
                    replace(c, award_amount=c.award_amount + Decimal("1.50"))
                    if c.nino in wanted
                    else c
                    for c in person.benefits
                ],
            )
            for person in self.people
        ]
        self._write()

    async def remove(self, keys: Sequence[str]) -> bool:
        wanted = set(keys)
        self.people = [
            replace(person, benefits=[c for c in person.benefits if c.nino not in wanted])
            for person in self.people
        ]
        self._write()
        return True

    async def expire(self, connector: Connector) -> str | None:
        cursor = await connector.change_cursor()
        old = sorted((self.out / "benefits").glob("BENEFITS.D*"))
        self._write()
        for path in old:
            path.unlink()
        return cursor


@pytest.fixture(scope="module")
def nightly(conformance_population: Population, benefits_data: Path) -> NightlyExtract:
    """One driver for the module: each extract carries the changes of the ones before."""
    return NightlyExtract(conformance_population, benefits_data)


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
    def change_driver(self, nightly: NightlyExtract) -> ChangeDriver | None:
        return nightly

    @pytest.fixture
    def unreachable_options(self, benefits_data: Path) -> Mapping[str, Any] | None:
        options = source_options(benefits_data)
        return {**options, "directory": str(benefits_data / "not-mounted")}
