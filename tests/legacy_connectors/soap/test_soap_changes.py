"""The soap change feed against the simulated tax service's change log over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.runner import serve_in_thread
from fixtures.tax.service import create_app
from fixtures.tax.testing import TaxService, running_tax_service
from fixtures.writes import commands
from legacy_connectors.errors import ChangesExpiredError
from legacy_connectors.soap import SoapConnector
from legacy_connectors.testing.changes import read_changes


@pytest.fixture(scope="module")
def feed_tax(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaxService]:
    """A tax service of its own (the tests change its taxpayers)."""
    with running_tax_service(tmp_path_factory.mktemp("feed-tax"), size=300, seed=5) as service:
        yield service


def _options(tax: TaxService, **changes: Any) -> dict[str, Any]:
    options = source_options(tax.data_dir, tax.base_url)
    return {**options, "commands": commands("tax", tax.data_dir), **changes}


@pytest.fixture
async def connector(feed_tax: TaxService) -> AsyncIterator[SoapConnector]:
    conn = SoapConnector.from_options("tax", _options(feed_tax))
    await conn.open()
    yield conn
    await conn.aclose()


def _address(n: int) -> dict[str, Any]:
    return {"Line": [f"{n} Ledger Lane"], "Town": "Westvale", "PostCode": "WV1 1LL"}


async def test_listing_uses_the_compiled_paths(connector: SoapConnector) -> None:
    """The change listing's request comes from a template and its reply from the compiled
    decoder: zeep is not on the feed's per-call path."""
    assert connector.tracks_changes
    assert connector.fast_paths["ListChangedTaxpayers"] == (True, True)


async def test_a_page_is_one_listing_call_and_batched_lookups(
    feed_tax: TaxService, connector: SoapConnector
) -> None:
    """250 changed taxpayers in one page cost one ListChangedTaxpayers call and three
    GetTaxpayers calls (100 NINOs each), and come back with their new addresses."""
    ninos = feed_tax.ninos[:250]
    cursor = await connector.change_cursor()
    feed_tax.change_records(addresses={n: _address(7) for n in ninos})
    feed_tax.reset_stats()
    pages, changed, removed = await read_changes(connector, cursor, batch_size=1000)
    assert len(pages) == 1 and not removed
    assert sorted(changed) == ninos
    assert all(r["Address"]["Line"] == ["7 Ledger Lane"] for [r] in changed.values())
    calls = feed_tax.stats()["calls"]
    assert calls == {"ListChangedTaxpayers": 1, "GetTaxpayers": 3}


async def test_gateway_writes_join_the_change_log(
    feed_tax: TaxService, connector: SoapConnector
) -> None:
    """An address change delivered through the source's write command is listed by the feed;
    a taxpayer the department closes is listed as removed."""
    changed_nino, closed_nino = feed_tax.ninos[260], feed_tax.ninos[261]
    cursor = await connector.change_cursor()
    payload = {
        "nino": changed_nino,
        "address": {"lines": ["9 Outbox Row"], "town": "Eastmoor", "postcode": "EM9 9OR"},
    }
    outcome = await connector.submit("change_address", payload, delivery_id="feed-dlv-1")
    assert outcome["outcome"] == "ACCEPTED"
    feed_tax.change_records(remove=[closed_nino])
    _, changed, removed = await read_changes(connector, cursor, batch_size=1)
    assert sorted(changed) == [changed_nino] and removed == [closed_nino]
    assert changed[changed_nino][0]["Address"]["Line"] == ["9 Outbox Row"]


async def test_log_positions_survive_a_restart(feed_tax: TaxService) -> None:
    """A restarted service replays its durable log: the same newest position, and a cursor
    taken before the restart still lists what changed after it."""
    conn = SoapConnector.from_options("tax", _options(feed_tax))
    await conn.open()
    try:
        cursor = await conn.change_cursor()
    finally:
        await conn.aclose()
    nino = feed_tax.ninos[270]
    feed_tax.change_records(addresses={nino: _address(11)})
    with serve_in_thread(create_app(feed_tax.data_dir)) as url:
        restarted = SoapConnector.from_options(
            "tax", _options(feed_tax, endpoint=url.rstrip("/") + "/tax")
        )
        await restarted.open()
        try:
            _, changed, _ = await read_changes(restarted, cursor)
        finally:
            await restarted.aclose()
    assert sorted(changed) == [nino]


async def test_trimmed_log_expires_the_cursor(tmp_path: Path) -> None:
    """With a change log kept to 5 entries, a cursor 6 changes old raises ChangesExpiredError;
    a position beyond the newest change does too."""
    with running_tax_service(tmp_path, size=40, seed=3) as base:
        limited = create_app(base.data_dir, change_log_limit=5)
        with serve_in_thread(limited) as url:
            handle = TaxService(url, base.data_dir, base.population)
            conn = SoapConnector.from_options("tax", _options(handle))
            await conn.open()
            try:
                cursor = await conn.change_cursor()
                for n, nino in enumerate(base.ninos[:6]):
                    handle.change_records(addresses={nino: _address(n)})
                with pytest.raises(ChangesExpiredError):
                    await read_changes(conn, cursor)
                beyond = json.dumps({"v": 1, "after": "999999"})
                with pytest.raises(ChangesExpiredError):
                    await read_changes(conn, beyond)
            finally:
                await conn.aclose()
