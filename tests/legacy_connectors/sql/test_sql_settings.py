"""Settings of the sql kind: validation, registry lookup and the package's public names."""

from __future__ import annotations

from typing import Any

import pymysql
import pytest
from pydantic import ValidationError

import legacy_connectors.sql as sql_package
from legacy_connectors.registry import load_kind
from legacy_connectors.sql import SqlConnector, SqlSettings
from legacy_connectors.sql.translate import translate

MAPPING: dict[str, Any] = {
    "table": "T",
    "key": {"column": "K"},
    "columns": {"k": {"column": "K", "type": "char"}},
}


def test_registry_loads_the_sql_kind() -> None:
    """The registry's ``sql`` kind is SqlConnector."""
    assert load_kind("sql") is SqlConnector


def test_all_is_complete() -> None:
    """Every name in ``__all__`` exists in the package."""
    assert all(hasattr(sql_package, name) for name in sql_package.__all__)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"mapping": MAPPING}, "exactly one of 'url' or 'databases'"),
        (
            {
                "url": "sqlite://",
                "databases": [{"name": "a", "url": "sqlite://"}],
                "mapping": MAPPING,
            },
            "exactly one of 'url' or 'databases'",
        ),
        (
            {"databases": [{"name": "a", "url": "sqlite://", "mapping": "x"}]},
            "mapping 'x' is not in 'mappings'",
        ),
        (
            {
                "url": "sqlite://",
                "mapping": {**MAPPING, "columns": {"s": {"column": "S", "type": "code"}}},
            },
            "needs 'values'",
        ),
        ({"url": "sqlite://", "mapping": MAPPING, "pool_sise": 3}, "pool_sise"),
    ],
)
def test_invalid_settings_name_the_problem(options: dict[str, Any], fragment: str) -> None:
    """Bad options fail validation with a message naming the offending key."""
    with pytest.raises(ValidationError) as caught:
        SqlSettings.model_validate(options)
    assert fragment in str(caught.value)


def test_database_names_are_services() -> None:
    """Databases of a set are named ``<source>/<name>``; a single database is the source name."""
    many = SqlConnector.from_options(
        "parking",
        {
            "databases": [{"name": "a", "url": "sqlite://"}, {"name": "b", "url": "sqlite://"}],
            "mapping": MAPPING,
        },
    )
    assert isinstance(many, SqlConnector)
    assert [db.service for db in many.databases] == ["parking/a", "parking/b"]
    single = SqlConnector.from_options("passports", {"url": "sqlite://", "mapping": MAPPING})
    assert isinstance(single, SqlConnector)
    assert [db.service for db in single.databases] == ["passports"]


def test_error_detail_drops_statement_fragments() -> None:
    """Driver messages that quote the statement are cut before the quote in operator detail."""
    error = translate(
        pymysql.err.ProgrammingError(1064, "syntax error; check the manual near 'AB12 CDE' at 1"),
        "parking/eastmoor",
    )
    assert error.service == "parking/eastmoor"
    assert "AB12" not in (error.detail or "") and "AB12" not in error.message
