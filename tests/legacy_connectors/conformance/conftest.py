"""Session fixtures for the conformance tests of the built-in kinds: one small population
written once as each department's native store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fixtures.generate import generate
from fixtures.model import Population


@pytest.fixture(scope="session")
def conformance_population() -> Population:
    """A small clean population shared by every built-in kind's conformance test."""
    return generate(people=80, seed=23, noise="clean", as_of=date(2026, 1, 1))


@pytest.fixture(scope="session")
def sql_data(tmp_path_factory: pytest.TempPathFactory, conformance_population: Population) -> Path:
    """The population's SQL sources as SQLite files (the demo's layout)."""
    from fixtures.sqldb import write

    out = tmp_path_factory.mktemp("conformance-sql")
    write(conformance_population, out)
    return out
