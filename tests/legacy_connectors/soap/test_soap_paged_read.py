"""Paged reads: the tax service's pages asked for by position, and read concurrently by a
``Source`` within its bulkhead, in the order ``scan`` gives them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from govgraph.resilience.policy import SourceSettings
from govgraph.sources import Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import Record
from legacy_connectors.errors import ConfigurationError, LegacyError
from legacy_connectors.soap import SoapConnector


def _options(tax: TaxService, **changes: Any) -> dict[str, Any]:
    return source_options(tax.data_dir, tax.base_url) | changes


class CountingSoap(SoapConnector):
    """The SOAP connector, counting the pages it is asked for at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.most_in_flight = 0
        self.starts: list[int] = []

    async def read_page(
        self, start: int, size: int, fields: Sequence[str] | None = None
    ) -> tuple[list[tuple[str, Record]], bool]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.starts.append(start)
        try:
            return await super().read_page(start, size, fields)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def counting(tax: TaxService) -> AsyncIterator[CountingSoap]:
    conn = CountingSoap.from_options("tax", _options(tax))
    assert isinstance(conn, CountingSoap)
    await conn.open()
    yield conn
    await conn.aclose()


def _source(connector: SoapConnector, **policy: Any) -> Source:
    return Source("tax", connector, SourceSettings(kind="soap", **policy), Metrics())


async def test_a_page_by_position_is_the_page_scan_gives(tax: TaxService) -> None:
    """read_page(start, size) returns scan's page from that position and says whether more
    follow; a position past the end is an empty last page."""
    conn = SoapConnector.from_options("tax", _options(tax))
    await conn.open()
    try:
        assert conn.pages_by_position
        pages = [page async for page in conn.scan(batch_size=40)]
        for i, page in enumerate(pages):
            got, more = await conn.read_page(i * 40, 40)
            assert got == page
            assert more is (i < len(pages) - 1)
        assert await conn.read_page(len(tax.ninos) + 40, 40) == ([], False)
        with pytest.raises(ValueError, match="start >= 0"):
            await conn.read_page(-1, 40)
    finally:
        await conn.aclose()


async def test_without_position_tokens_pages_cannot_be_read_by_position(tax: TaxService) -> None:
    """A service whose page token is opaque (the default) does not offer the capability, and a
    Source then reads its pages one after another with scan."""
    conn = SoapConnector.from_options("tax", _options(tax, scan_token_is_position=False))
    await conn.open()
    try:
        assert not conn.pages_by_position
        with pytest.raises(NotImplementedError, match="scan_token_is_position"):
            await conn.read_page(0, 10)
        pages = [page async for page in _source(conn).read_pages(40)]
        assert [key for page in pages for key, _ in page] == tax.ninos
    finally:
        await conn.aclose()


async def test_a_source_reads_pages_concurrently_in_scan_order(
    tax: TaxService, counting: CountingSoap
) -> None:
    """Every taxpayer once, in scan order, with several pages in flight at once but never more
    than half the bulkhead's slots."""
    tax.set_faults(latency_ms=50)
    source = _source(counting, max_concurrency=6)
    pages = [page async for page in source.read_pages(10)]
    assert [key for page in pages for key, _ in page] == tax.ninos
    assert all(len(page) == 10 for page in pages[:-1])
    assert 1 < counting.most_in_flight <= 3
    assert counting.in_flight == 0
    assert sorted(counting.starts) == list(range(0, max(counting.starts) + 1, 10))


async def test_a_failing_page_stops_the_read_with_its_typed_error(
    tax: TaxService, counting: CountingSoap
) -> None:
    """When the service faults on every call, the read ends with the connector's typed error
    (after the read's retries) and leaves no page in flight."""
    tax.set_faults(mode="failing")
    source = _source(counting, max_concurrency=4)
    with pytest.raises(LegacyError):
        async for _ in source.read_pages(10):
            pass
    await asyncio.sleep(0)
    assert counting.in_flight == 0


def _cut(record: Record) -> Record:
    """A whole taxpayer record with only its key, balance and postcode."""
    account, address = record["Account"], record["Address"]
    return {
        "Nino": record["Nino"],
        "Account": None if account is None else {"Balance": account["Balance"]},
        "Address": None if address is None else {"PostCode": address["PostCode"]},
    }


async def test_a_page_of_chosen_fields_is_the_whole_page_cut_down(
    tax: TaxService, counting: CountingSoap
) -> None:
    """Asked for some fields, each record of a page holds exactly those (and its key), with the
    values the whole record has; read concurrently by a Source, every taxpayer once, in order."""
    fields = ["Account.Balance", "Address.PostCode"]
    whole = [page async for page in counting.scan(batch_size=40)]
    got, more = await counting.read_page(40, 40, fields)
    assert more and [(k, r) for k, r in got] == [(k, _cut(r)) for k, r in whole[1]]
    assert any(r["Account"] and r["Account"]["Balance"] != 0 for _, r in got)
    pages = [page async for page in _source(counting, max_concurrency=6).read_pages(40, fields)]
    assert [(k, r) for page in pages for k, r in page] == [
        (k, _cut(r)) for page in whole for k, r in page
    ]


async def test_a_field_the_records_lack_is_a_configuration_error(
    counting: CountingSoap,
) -> None:
    """A misspelt field is refused before any call, naming it, not read as missing values."""
    with pytest.raises(ConfigurationError, match="'Balanse'"):
        await counting.read_page(0, 10, ["Account.Balanse"])
    assert counting.starts == [0] and counting.calls == 0
