"""The ``sql`` kind passes the conformance kit: one database, and a set of council databases."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from fixtures.model import Population
from fixtures.sqldb import source_options
from fixtures.sqldb.edits import table_of
from fixtures.sqldb.testing import ClerkEdits
from fixtures.writes import commands
from legacy_connectors.testing import ChangeDriver, ConnectorConformance

CORRUPT_PASSPORT = "999999990"
"""A passport row whose status code the mapping does not know (a per-key decoding failure)."""


@pytest.fixture(scope="module")
def passports_options(sql_data: Path) -> dict[str, Any]:
    path = sql_data / "passports" / "passports.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM PSPT_MSTR WHERE PSPT_NO = ?", (CORRUPT_PASSPORT,))
        db.execute(
            "INSERT INTO PSPT_MSTR (PSPT_NO, SURNM, FRNMS, DOB_CYMD, SEX_CD, ISS_CYMD, EXP_CYMD,"
            " STAT_CD) VALUES (?, 'CORRUPT', 'ROW', 1800101, 'M', 1200101, 1300101, 'Q')",
            (CORRUPT_PASSPORT,),
        )
    db.close()
    return {**source_options("passports", sql_data), "commands": commands("passports", sql_data)}


class TestSqlSingleDatabaseConformance(ConnectorConformance):
    kind = "sql"

    @pytest.fixture
    def connector_options(self, passports_options: dict[str, Any]) -> Mapping[str, Any]:
        return passports_options

    @pytest.fixture
    def known_keys(self, conformance_population: Population) -> Sequence[str]:
        holders = [p.passport for p in conformance_population.people if p.passport]
        return [h.passport_number for h in holders[:6]]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["000000001", "000000002"]

    @pytest.fixture
    def failing_key(self) -> str | None:
        return CORRUPT_PASSPORT

    @pytest.fixture
    def write_command(self, known_keys: Sequence[str]) -> tuple[str, Mapping[str, Any]] | None:
        address = {"lines": ["1 Conformance Row"], "town": "Millbrook", "postcode": "MB1 1AA"}
        return "change_address", {"passport_number": known_keys[0], "address": address}

    @pytest.fixture
    def change_driver(self, passports_options: dict[str, Any]) -> ChangeDriver | None:
        return ClerkEdits([(passports_options["url"], table_of("passports"))])

    @pytest.fixture
    def unreachable_options(self, passports_options: dict[str, Any]) -> Mapping[str, Any] | None:
        return {**passports_options, "url": "sqlite:////nonexistent-directory/passports.sqlite"}


class TestSqlCouncilSetConformance(ConnectorConformance):
    kind = "sql"

    @pytest.fixture
    def connector_options(self, sql_data: Path) -> Mapping[str, Any]:
        return {**source_options("parking", sql_data), "commands": commands("parking", sql_data)}

    @pytest.fixture
    def known_keys(self, conformance_population: Population) -> Sequence[str]:
        vrms = sorted({n.vrm for p in conformance_population.people for n in p.penalty_notices})
        return vrms[:3]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["ZZ99 ZZZ"]

    @pytest.fixture
    def write_command(self, conformance_population: Population) -> tuple[str, Mapping[str, Any]]:
        notice = next(n for p in conformance_population.people for n in p.penalty_notices)
        council = next(c for c in conformance_population.councils if c.code == notice.council_code)
        address = {"lines": ["2 Conformance Row"], "town": "Westvale", "postcode": "WV2 2BB"}
        return "change_address", {"council": council.name, "vrms": [notice.vrm], "address": address}

    @pytest.fixture
    def change_driver(self, connector_options: Mapping[str, Any]) -> ChangeDriver | None:
        return ClerkEdits(
            [
                (db["url"], table_of("parking", db["mapping"]))
                for db in connector_options["databases"]
            ]
        )

    @pytest.fixture
    def unreachable_options(self, sql_data: Path) -> Mapping[str, Any] | None:
        options = source_options("parking", sql_data)
        dead = "sqlite:////nonexistent-directory/council.sqlite"
        options["databases"] = [{**db, "url": dead} for db in options["databases"]]
        return options
