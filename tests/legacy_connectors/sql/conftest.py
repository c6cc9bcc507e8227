"""Engine matrix for the SQL connector: the same population deployed on SQLite, PostgreSQL and
MariaDB (see :mod:`fixtures.sqldb.testing`), each server in databases dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest

from fixtures.generate import generate
from fixtures.model import Population
from fixtures.sqldb.testing import (
    ENGINES,
    Deployment,
    add_shared_notices,
    deploy_population,
)
from legacy_connectors.sql import SqlConnector


@pytest.fixture(scope="session")
def sql_population() -> Population:
    """A small clean population, plus one vehicle with a notice from every council."""
    people = generate(people=300, seed=7, noise="clean", as_of=date(2026, 1, 1))
    add_shared_notices(people)
    return people


@pytest.fixture(scope="session", params=ENGINES)
async def deployment(
    request: pytest.FixtureRequest,
    sql_population: Population,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:
    """The population's SQL sources created and seeded on one engine (each engine in turn)."""
    engine: str = request.param
    async with deploy_population(
        engine, sql_population, tmp_path_factory.mktemp(f"sql-{engine}")
    ) as d:
        yield d


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[str, dict[str, Any]], SqlConnector]]:
    """Build connectors from options; close them all after the test."""
    opened: list[SqlConnector] = []

    def make(name: str, options: dict[str, Any]) -> SqlConnector:
        connector = SqlConnector.from_options(name, options)
        assert isinstance(connector, SqlConnector)
        opened.append(connector)
        return connector

    yield make
    for connector in opened:
        await connector.aclose()
