"""Drift check: a renamed column or changed type is reported before a query fails on it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.model import Population
from fixtures.sqldb import drop_database, load_source
from fixtures.sqldb.testing import SHARED_VRM, Deployment
from govgraph.cli import main
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import ConfigurationError
from legacy_connectors.sql import SqlConnector, async_url
from legacy_connectors.sql.drift import check

Open = Callable[[str, dict[str, Any]], SqlConnector]


async def _renamed_copy(deployment: Deployment, population: Population, tmp: Path) -> str:
    """A copy of the schema-``b`` council's database with STREET renamed to STREET_NAME."""
    council = next(c for c in population.councils if c.engine_schema == "b")
    url = deployment.fresh_url("drift", tmp)
    await load_source(f"parking:{council.code}", population, url)
    q = "`" if deployment.engine == "mariadb" else '"'
    rename = f"ALTER TABLE {q}TBL_PCN{q} RENAME COLUMN {q}STREET{q} TO {q}STREET_NAME{q}"
    admin = create_async_engine(async_url(url, create=True))
    try:
        async with admin.begin() as conn:
            await conn.execute(text(rename))
    finally:
        await admin.dispose()
    return url


def _with_url(deployment: Deployment, schema: str, url: str) -> tuple[dict[str, Any], str]:
    options = deployment.options("parking")
    for database in options["databases"]:
        if database["mapping"] == schema:
            database["url"] = url
            return options, f"parking/{database['name']}"
    raise AssertionError(f"no council uses schema {schema}")


async def test_live_schemas_match(deployment: Deployment) -> None:
    """Freshly loaded databases show no drift on any engine."""
    for source in ("passports", "vehicles", "parking"):
        assert await check(source, deployment.options(source)) == []


async def test_renamed_column_is_caught(
    deployment: Deployment, sql_population: Population, connect: Open, tmp_path: Path
) -> None:
    """A renamed column is reported with its mapping key and the likely new name."""
    url = await _renamed_copy(deployment, sql_population, tmp_path)
    try:
        options, service = _with_url(deployment, "b", url)
        [drift] = await check("parking", options)
        assert drift.service == service
        assert drift.mapping_key == "columns.location"
        assert "STREET" in drift.problem and "STREET_NAME" in drift.problem
        source = connect("parking", options)
        [result] = await source.load_many([SHARED_VRM])
        assert isinstance(result, PartialRecords)
        [error] = result.errors
        assert isinstance(error, ConfigurationError) and error.service == service
        assert "columns.location" in error.message and "SELECT" not in error.message
        assert len(result.records) == len(sql_population.councils) - 1
    finally:
        await drop_database(url)


async def test_changed_type_is_caught(deployment: Deployment) -> None:
    """A mapped converter that no longer suits the live column type is reported."""
    options = deployment.options("passports")
    mapping = {**options["mapping"], "columns": dict(options["mapping"]["columns"])}
    mapping["columns"]["date_of_birth"] = {"column": "SURNM", "type": "cyymmdd"}
    [drift] = await check("passports", {**options, "mapping": mapping})
    assert drift.mapping_key == "columns.date_of_birth"
    assert "expected a number" in drift.problem


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
async def test_cli_reports_drift(
    deployment: Deployment,
    sql_population: Population,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``govgraph sql check`` exits 1 naming the key on drift and 0 on a matching config."""
    url = await _renamed_copy(deployment, sql_population, tmp_path)
    options, _ = _with_url(deployment, "b", url)
    options_file = tmp_path / "parking.json"
    options_file.write_text(json.dumps(options))
    assert await _cli(["sql", "check", "--source-options", str(options_file)]) == 1
    assert "columns.location" in capsys.readouterr().out
    config = tmp_path / "govgraph.toml"
    sources = {
        name: {"kind": "sql", "options": deployment.options(name)}
        for name in ("passports", "parking")
    }
    config.write_text(tomli_w.dumps({"sources": sources}))
    assert await _cli(["sql", "check", "--config", str(config)]) == 0
    assert "parking: matches its mapping" in capsys.readouterr().out


async def _cli(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


async def test_change_tracking_drift_is_caught(deployment: Deployment) -> None:
    """A row-version column or removals table the live schema lacks is reported by name."""
    options = deployment.options("passports")
    mapping = dict(options["mapping"])
    mapping["changes"] = {"column": "ROW_VERSION", "removals_table": "PSPT_MSTR_DELETED"}
    drifts = await check("passports", {**options, "mapping": mapping})
    assert [(d.mapping_key, d.problem) for d in drifts] == [
        ("changes.column", "column ROW_VERSION not in PSPT_MSTR"),
        ("changes.removals_table", "table PSPT_MSTR_DELETED not found"),
    ]
