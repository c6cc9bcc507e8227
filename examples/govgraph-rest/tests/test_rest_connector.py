"""What the ``rest`` kind does beyond the kit: batching, authentication, malformed keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import Registry
from govgraph_rest import RestConnector

from legacy_connectors.errors import (
    ConfigurationError,
    CorruptRecordError,
    InvalidInputError,
    NotAuthorisedError,
)
from legacy_connectors.registry import load_kind


@pytest.fixture
async def opened() -> AsyncIterator[Any]:
    made: list[RestConnector] = []

    async def make(options: dict[str, Any]) -> RestConnector:
        connector = RestConnector.from_options("land", options)
        assert isinstance(connector, RestConnector)
        await connector.open()
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.aclose()


def test_entry_point_registers_the_kind() -> None:
    """The installed package's entry point makes kind ``rest`` loadable by name."""
    assert load_kind("rest") is RestConnector


async def test_batches_are_chunked(registry: Registry, opened: Any) -> None:
    """Ten keys with batch_size 4 take three batch calls and come back in order."""
    connector = await opened(registry.options(batch_size=4))
    keys = registry.readable[:10]
    results = await connector.load_many(keys)
    assert [r["title_number"] for r in results] == keys
    assert connector.calls == 3


async def test_money_is_decimal_text_and_fields_survive(registry: Registry, opened: Any) -> None:
    """A title keeps its fields; the price is exact decimal text, proprietors a list."""
    connector = await opened(registry.options())
    title = next(t for t in registry.titles if not t.get("unreadable"))
    [record] = await connector.load_many([title["title_number"]])
    assert record["proprietors"] == title["proprietors"]
    assert Decimal(record["price_paid"]) == Decimal(title["price_paid"])


async def test_malformed_key_fails_alone_in_a_batch(registry: Registry, opened: Any) -> None:
    """A key the API rejects (400) fails alone; the batch is split to find it."""
    connector = await opened(registry.options())
    good = registry.readable[:3]
    results = await connector.load_many([good[0], "not a title", good[1], good[2]])
    assert isinstance(results[1], InvalidInputError)
    assert [r["title_number"] for r in (results[0], results[2], results[3])] == good


async def test_unreadable_title_is_a_corrupt_record(registry: Registry, opened: Any) -> None:
    """An unreadable title gives CorruptRecordError naming the API's reason, not the key."""
    connector = await opened(registry.options(batch_path=None))
    [error] = await connector.load_many([registry.unreadable[0]])
    assert isinstance(error, CorruptRecordError)
    assert "TITLE_UNREADABLE" in error.message
    assert registry.unreadable[0] not in error.message


async def test_wrong_token_fails_the_batch_and_health(
    registry: Registry, opened: Any, tmp_path: Any
) -> None:
    """A rejected token raises NotAuthorisedError and health says down, unauthenticated."""
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token\n")
    connector = await opened(registry.options(token_file=str(wrong)))
    with pytest.raises(NotAuthorisedError):
        await connector.load_many(registry.readable[:2])
    health = await connector.health()
    assert health.status == "down" and health.facts["authenticated"] is False


async def test_health_reports_facts(registry: Registry, opened: Any) -> None:
    """Health is up, authenticated, with the registry's title count and API version."""
    connector = await opened(registry.options())
    health = await connector.health()
    assert health.status == "up"
    assert health.facts["authenticated"] is True
    assert health.facts["titles"] == len(registry.titles)
    assert health.facts["api_version"] == "1.4"


async def test_scan_pages_through_every_readable_title(registry: Registry, opened: Any) -> None:
    """scan yields every readable title once, in pages of the asked size."""
    connector = await opened(registry.options())
    pages = [page async for page in connector.scan(batch_size=7)]
    assert all(len(page) <= 7 for page in pages)
    assert sorted(key for page in pages for key, _ in page) == sorted(registry.readable)


def test_plain_token_in_config_is_refused() -> None:
    """A token written in the configuration is rejected, naming the settings to use instead."""
    with pytest.raises(ValueError, match="token_env"):
        RestConnector.Settings.model_validate({"base_url": "http://x", "token": "secret"})


async def test_missing_token_file_is_a_configuration_error(registry: Registry) -> None:
    """An unreadable token file fails open() with a ConfigurationError naming the setting."""
    connector = RestConnector.from_options("land", registry.options(token_file="/nonexistent"))
    with pytest.raises(ConfigurationError, match="token_file"):
        await connector.open()
    await connector.aclose()


async def test_simulator_requires_the_token(registry: Registry) -> None:
    """The simulator refuses calls without the bearer token."""
    async with httpx.AsyncClient(base_url=registry.base_url) as client:
        response = await client.get("/health")
    assert response.status_code == 401
