"""SOAP write commands against the simulated tax service: once per delivery id, typed faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from fixtures.writes import commands
from legacy_connectors.errors import InvalidInputError, RecordNotFoundError, RetriableError
from legacy_connectors.soap import SoapConnector

ADDRESS = {"lines": ["4 Ropewalk", "Upper Deck"], "town": "Portside", "postcode": "PS1 4RW"}


@pytest.fixture
async def tax_writer(tax: TaxService) -> AsyncIterator[SoapConnector]:
    options = {
        **source_options(tax.data_dir, tax.base_url),
        **{"commands": commands("tax", tax.data_dir)},
    }
    connector = SoapConnector.from_options("tax", options)
    assert isinstance(connector, SoapConnector)
    await connector.open()
    yield connector
    await connector.aclose()


def _log(tax: TaxService) -> list[dict[str, Any]]:
    path = tax.data_dir / "tax" / "address_changes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_an_address_change_is_accepted_once_then_duplicate(
    tax: TaxService, tax_writer: SoapConnector
) -> None:
    """ACCEPTED, then DUPLICATE for the same delivery id; the service's record shows it."""
    nino = tax.ninos[0]
    payload = {"nino": nino, "address": ADDRESS}
    assert await tax_writer.submit("change_address", payload, delivery_id="soap-1") == {
        "outcome": "ACCEPTED"
    }
    assert await tax_writer.submit("change_address", payload, delivery_id="soap-1") == {
        "outcome": "DUPLICATE"
    }
    assert [e["DeliveryId"] for e in _log(tax) if e["Nino"] == nino] == ["soap-1"]
    [record] = await tax_writer.load_many([nino])
    assert isinstance(record, dict)
    assert record["Address"]["PostCode"] == "PS1 4RW"
    assert record["Address"]["Line"] == ["4 Ropewalk", "Upper Deck"]


async def test_bad_submissions_are_typed_errors(tax: TaxService, tax_writer: SoapConnector) -> None:
    """Unknown or invalid NINO, missing field, unknown command, failing service: typed errors."""
    unknown = next(f"JK{n:06d}A" for n in range(1000) if f"JK{n:06d}A" not in tax.ninos)
    with pytest.raises(RecordNotFoundError):
        await tax_writer.submit(
            "change_address", {"nino": unknown, "address": ADDRESS}, delivery_id="soap-2"
        )
    with pytest.raises(InvalidInputError):
        await tax_writer.submit(
            "change_address", {"nino": "QQ123456C", "address": ADDRESS}, delivery_id="soap-6"
        )
    with pytest.raises(InvalidInputError) as missing:
        await tax_writer.submit("change_address", {"nino": tax.ninos[1]}, delivery_id="soap-3")
    assert "'address.lines'" in missing.value.message
    with pytest.raises(NotImplementedError):
        await tax_writer.submit("pay_penalty", {}, delivery_id="soap-4")
    tax.set_faults(mode="failing")
    with pytest.raises(RetriableError):
        await tax_writer.submit(
            "change_address", {"nino": tax.ninos[1], "address": ADDRESS}, delivery_id="soap-5"
        )
    assert not [e for e in _log(tax) if e["DeliveryId"] in {"soap-2", "soap-3", "soap-5", "soap-6"}]


async def test_a_request_path_takes_one_item_of_a_payload_list(tax: TaxService) -> None:
    """A request path mapped to ``address.lines.1`` sends the second line to the real service."""
    command = dict(commands("tax", tax.data_dir)["change_address"])
    command["fields"] = {**command["fields"], "Address.Town": "address.lines.1"}
    options = source_options(tax.data_dir, tax.base_url)
    options["commands"] = {"change_address": command}
    connector = SoapConnector.from_options("tax", options)
    await connector.open()
    try:
        nino = tax.ninos[2]
        payload = {"nino": nino, "address": ADDRESS}
        answer = await connector.submit("change_address", payload, delivery_id="soap-list")
        assert answer == {"outcome": "ACCEPTED"}
        [record] = await connector.load_many([nino])
    finally:
        await connector.aclose()
    assert isinstance(record, dict)
    assert record["Address"]["Town"] == "Upper Deck"
