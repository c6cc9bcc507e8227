"""A write to a non-Unicode legacy database is checked against the character set it holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.generate import generate
from fixtures.sqldb import drop_database, load_source, passports
from fixtures.sqldb.testing import require_engine, server_url
from fixtures.writes import commands
from legacy_connectors.errors import InvalidInputError
from legacy_connectors.limits import BMP_CHARSET
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.charsets import UNKNOWN_CHARSET, python_codec

# (engine, how the database is created, the codec its text columns hold)
CASES = {
    "postgresql-latin1": (
        "postgresql",
        "CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
        "TEMPLATE template0",
        "latin_1",
    ),
    "mariadb-latin1": ("mariadb", "CREATE DATABASE `{name}` CHARACTER SET latin1", "cp1252"),
    "mariadb-utf8mb3": ("mariadb", "CREATE DATABASE `{name}` CHARACTER SET utf8mb3", BMP_CHARSET),
    "sqlite": ("sqlite", "", None),
}


async def _create(engine: str, url: str, statement: str, name: str) -> None:
    admin = server_url(engine, "postgres" if engine == "postgresql" else "test")
    driver = "postgresql+asyncpg" if engine == "postgresql" else "mysql+aiomysql"
    connection = create_async_engine(
        driver + admin[admin.index(":") :], isolation_level="AUTOCOMMIT"
    )
    try:
        async with connection.connect() as conn:
            await conn.execute(text(statement.format(name=name)))
    finally:
        await connection.dispose()


@pytest.fixture(params=sorted(CASES))
async def office(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[SqlConnector, str, str | None]]:
    """A passport office on a database of one character set, and a passport number in it."""
    engine, statement, codec = CASES[request.param]
    population = generate(people=40, seed=11, noise="clean", as_of=date(2026, 1, 1))
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'passports.sqlite'}"
    else:
        require_engine(engine)
        name = f"gg_test_charset_{uuid.uuid4().hex[:8]}"
        url = server_url(engine, name)
        await _create(engine, url, statement, name)
    connector: SqlConnector | None = None
    try:
        await load_source("passports", population, url)
        options = {
            "url": url,
            "mapping": passports.MAPPING,
            "commands": commands("passports", tmp_path),
        }
        made = SqlConnector.from_options("passports", options)
        assert isinstance(made, SqlConnector)
        connector = made
        holder = next(p for p in population.people if p.passport is not None)
        assert holder.passport is not None
        yield connector, holder.passport.passport_number, codec
    finally:
        if connector is not None:
            await connector.aclose()
        await drop_database(url)


def _change(number: str, town: str) -> dict[str, object]:
    return {
        "passport_number": number,
        "address": {"lines": ["9 Orchard Close"], "town": town, "postcode": "AP1 9OC"},
    }


async def test_write_limits_name_the_columns_character_set(
    office: tuple[SqlConnector, str, str | None],
) -> None:
    """The town's limit carries the column's repertoire; a character outside it is named."""
    connector, _number, codec = office
    limits = [limit for limit in await connector.write_limits("change_address")]
    [town] = [limit for limit in limits if limit.path == "address.town"]
    assert town.charset == codec
    problem = town.problem("Łódź 😀")
    if codec is None:
        assert problem is None
    elif codec == BMP_CHARSET:
        assert problem is not None and "U+1F600" in problem and "U+0141" not in problem
    else:
        assert problem is not None and "U+0141" in problem


async def test_a_character_the_column_cannot_hold_is_refused_and_nothing_written(
    office: tuple[SqlConnector, str, str | None],
) -> None:
    """Never a ``?`` in the database: refused whole, the record unchanged; a character the set
    holds is stored exactly."""
    connector, number, codec = office
    [before] = await connector.load_many([number])
    assert isinstance(before, dict)
    town = "Łódź 😀"
    if codec is None:
        outcome = await connector.submit(
            "change_address", _change(number, town), delivery_id="cs-1"
        )
        assert outcome["outcome"] == "ACCEPTED"
        [after] = await connector.load_many([number])
        assert isinstance(after, dict) and after["town"] == town
        return
    with pytest.raises(InvalidInputError) as refused:
        await connector.submit("change_address", _change(number, town), delivery_id="cs-1")
    assert "U+" in str(refused.value) and town not in str(refused.value)
    [after] = await connector.load_many([number])
    assert after == before
    held = "Straße Ñ"
    outcome = await connector.submit("change_address", _change(number, held), delivery_id="cs-2")
    assert outcome["outcome"] == "ACCEPTED"
    [after] = await connector.load_many([number])
    assert isinstance(after, dict) and after["town"] == held


def test_server_character_set_names_map_to_codecs() -> None:
    """Known sets map to their codec (MySQL's latin1 is Windows-1252); an unknown one is ASCII
    with a note naming it."""
    assert python_codec("mysql", "latin1") == ("cp1252", "")
    assert python_codec("mysql", "utf8mb4") == (None, "")
    assert python_codec("mysql", "utf8mb3") == (BMP_CHARSET, "")
    assert python_codec("postgresql", "LATIN9") == ("iso8859_15", "")
    assert python_codec("postgresql", "UTF8") == (None, "")
    assert python_codec("postgresql", "WIN1252") == ("cp1252", "")
    codec, note = python_codec("mysql", "armscii8")
    assert codec == UNKNOWN_CHARSET and "armscii8" in note
