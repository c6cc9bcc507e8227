"""The soap connector against the simulated tax service over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from legacy_connectors.base import CALL_CONTEXT, CallContext
from legacy_connectors.errors import ConfigurationError, InvalidInputError
from legacy_connectors.registry import load_kind
from legacy_connectors.soap import SoapConnector


def _options(tax: TaxService, **changes: Any) -> dict[str, Any]:
    return source_options(tax.data_dir, tax.base_url) | changes


@pytest.fixture
async def connector(tax: TaxService) -> AsyncIterator[SoapConnector]:
    conn = SoapConnector.from_options("tax", _options(tax))
    await conn.open()
    yield conn
    await conn.aclose()


def test_registry_finds_the_soap_kind() -> None:
    """The registry's ``soap`` kind is this connector."""
    assert load_kind("soap") is SoapConnector


async def test_batch_lookup_returns_records_in_key_order(
    tax: TaxService, connector: SoapConnector
) -> None:
    """Known keys give their records, unknown keys None, in the order asked, duplicates too."""
    ninos = tax.ninos
    keys = [ninos[5], "AB123456C", ninos[2], ninos[5]]
    results = await connector.load_many(keys)
    assert [r["Nino"] if isinstance(r, dict) else r for r in results] == [
        ninos[5],
        None,
        ninos[2],
        ninos[5],
    ]
    assert connector.calls == 1


async def test_records_are_plain_python_values(tax: TaxService, connector: SoapConnector) -> None:
    """Records are plain dicts with Decimal money, date dates and lists for repeated elements."""
    person = next(p for p in tax.population.people if p.tax and p.tax.payments_due)
    assert person.tax is not None
    (record,) = await connector.load_many([person.tax.nino])
    assert type(record) is dict
    assert record["DateOfBirth"] == person.tax.identity.date_of_birth
    assert isinstance(record["DateOfBirth"], date)
    assert record["Name"]["FamilyName"] == person.tax.identity.surname
    assert record["Address"]["Line"] == list(person.tax.identity.address.lines)
    assert record["Account"]["Balance"] == person.tax.balance_owed
    due = record["Account"]["PaymentDue"]
    assert type(due) is list and isinstance(due[0]["Amount"], Decimal)
    assert due[0]["DueDate"] == person.tax.payments_due[0].due_date
    assert [y["Year"] for y in record["TaxYear"]] == [y.year for y in person.tax.tax_years]


async def test_batches_are_chunked_to_the_service_cap(tax: TaxService) -> None:
    """150 keys with a cap of 100 make two batch calls, and every key is answered."""
    conn = SoapConnector.from_options("tax", _options(tax))
    await conn.open()
    try:
        tax.reset_stats()
        results = await conn.load_many(tax.ninos)
        assert all(isinstance(r, dict) for r in results)
        stats = tax.stats()
        assert stats["calls"] == {"GetTaxpayers": 2}
        assert conn.calls == 2
    finally:
        await conn.aclose()


async def test_single_calls_when_no_batch_operation(tax: TaxService) -> None:
    """Without a batch operation each key is one GetTaxpayer call; unknown keys give None."""
    conn = SoapConnector.from_options("tax", _options(tax, batch_operation=None))
    await conn.open()
    try:
        tax.reset_stats()
        keys = [*tax.ninos[:4], "AB123456C"]
        results = await conn.load_many(keys)
        assert [r["Nino"] if isinstance(r, dict) else r for r in results] == [
            *tax.ninos[:4],
            None,
        ]
        assert tax.stats()["calls"] == {"GetTaxpayer": 5}
    finally:
        await conn.aclose()


async def test_an_invalid_key_fails_alone_in_a_batch(
    tax: TaxService, connector: SoapConnector
) -> None:
    """A malformed NINO rejected by the service fails that key only; the others still load."""
    results = await connector.load_many([tax.ninos[0], "NOT-A-NINO", tax.ninos[1]])
    assert isinstance(results[0], dict) and isinstance(results[2], dict)
    assert isinstance(results[1], InvalidInputError)
    assert "NOT-A-NINO" not in results[1].message


async def test_soap12_port(tax: TaxService) -> None:
    """The SOAP 1.2 port answers the same records."""
    conn = SoapConnector.from_options(
        "tax", _options(tax, port="TaxPortSoap12", endpoint=f"{tax.base_url}/tax12")
    )
    await conn.open()
    try:
        results = await conn.load_many(tax.ninos[:3])
        assert [r["Nino"] for r in results if isinstance(r, dict)] == tax.ninos[:3]
    finally:
        await conn.aclose()


async def test_wsdl_read_from_the_service_url(tax: TaxService) -> None:
    """The WSDL can be read over HTTP, with its imports, and its address used as is."""
    options = _options(tax, wsdl=f"{tax.base_url}/tax?wsdl")
    del options["endpoint"]
    conn = SoapConnector.from_options("tax", options)
    await conn.open()
    try:
        (record,) = await conn.load_many([tax.ninos[7]])
        assert isinstance(record, dict) and record["Nino"] == tax.ninos[7]
    finally:
        await conn.aclose()


async def test_scan_pages_through_every_taxpayer(tax: TaxService, connector: SoapConnector) -> None:
    """scan() follows NextPageToken until every taxpayer has been yielded once."""
    pages = [page async for page in connector.scan(batch_size=40)]
    assert [len(p) for p in pages] == [40, 40, 40, 30]
    assert [key for page in pages for key, _ in page] == tax.ninos
    assert all(record["Nino"] == key for page in pages for key, record in page)


async def test_password_from_environment(tax: TaxService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password may come from an environment variable instead of a file."""
    monkeypatch.setenv("TAX_PASSWORD_FOR_TEST", tax.password)
    options = _options(tax, password_env="TAX_PASSWORD_FOR_TEST")
    del options["password_file"]
    conn = SoapConnector.from_options("tax", options)
    await conn.open()
    try:
        (record,) = await conn.load_many([tax.ninos[0]])
        assert isinstance(record, dict)
    finally:
        await conn.aclose()


def test_plain_password_in_config_is_rejected(tax: TaxService) -> None:
    """A password written in the configuration is refused, naming the settings to use."""
    with pytest.raises(ValueError, match="password_env"):
        SoapConnector.from_options("tax", _options(tax, password="hunter2"))


async def test_unknown_operation_is_a_configuration_error(tax: TaxService) -> None:
    """An operation missing from the WSDL is named, with the operations it does have."""
    conn = SoapConnector.from_options("tax", _options(tax, batch_operation="GetEveryone"))
    with pytest.raises(ConfigurationError, match=r"GetEveryone.*GetTaxpayers"):
        await conn.open()
    await conn.aclose()


async def test_missing_password_file_is_a_configuration_error(tax: TaxService) -> None:
    """An unreadable password file is a configuration error naming the setting."""
    conn = SoapConnector.from_options(
        "tax", _options(tax, password_file=str(tax.data_dir / "nope"))
    )
    with pytest.raises(ConfigurationError, match="password_file"):
        await conn.open()


async def test_health_reports_up_and_down(tax: TaxService) -> None:
    """health() is up while the service answers and down when nothing listens."""
    conn = SoapConnector.from_options("tax", _options(tax))
    dead = SoapConnector.from_options("tax", _options(tax, endpoint="http://127.0.0.1:9/tax"))
    await conn.open()
    await dead.open()
    try:
        assert (await conn.health()).status == "up"
        assert (await dead.health()).status == "down"
    finally:
        await conn.aclose()
        await dead.aclose()


async def test_health_makes_a_real_call_the_service_does_not_count_as_a_fault(
    tax: TaxService,
) -> None:
    """By default health() asks the scan operation for one record: a valid call, no fault."""
    conn = SoapConnector.from_options("tax", _options(tax))
    await conn.open()
    try:
        tax.reset_stats()
        assert (await conn.health()).status == "up"
        stats = tax.stats()
    finally:
        await conn.aclose()
    assert stats["calls"] == {"ListTaxpayers": 1}
    assert stats["faults"] == {}


async def test_health_operation_is_configurable(tax: TaxService) -> None:
    """``health_operation`` with its arguments is the call made; a not-found answer is up."""
    options = _options(tax, health_operation="GetTaxpayer", health_arguments={"Nino": "AB123456C"})
    conn = SoapConnector.from_options("tax", options)
    await conn.open()
    try:
        tax.reset_stats()
        health = await conn.health()
        stats = tax.stats()
    finally:
        await conn.aclose()
    assert health.status == "up"
    assert stats["calls"] == {"GetTaxpayer": 1}


async def test_health_is_down_when_the_health_operation_is_refused(tax: TaxService) -> None:
    """A health operation the service refuses (here: it does not exist) reports down."""
    options = _options(tax, health_operation="NoSuchOperation")
    conn = SoapConnector.from_options("tax", options)
    await conn.open()
    try:
        health = await conn.health()
    finally:
        await conn.aclose()
    assert health.status == "down"


async def test_soap_header_hook_is_sent(tax: TaxService) -> None:
    """Extra SOAP header elements from the hook travel with each call (the service ignores them)."""
    conn = SoapConnector(
        "tax",
        SoapConnector.Settings.model_validate(_options(tax)),
        soap_headers=lambda: '<r:RequestId xmlns:r="urn:example:req">abc-123</r:RequestId>',
    )
    await conn.open()
    try:
        (record,) = await conn.load_many([tax.ninos[0]])
        assert isinstance(record, dict)
    finally:
        await conn.aclose()


async def test_invoke_submits_an_address_change(tax: TaxService, connector: SoapConnector) -> None:
    """invoke() calls a write operation; a repeated delivery id is reported as a duplicate."""
    nino = tax.ninos[42]
    arguments = {
        "Nino": nino,
        "DeliveryId": "bench-delivery-42",
        "Address": {"Line": ["3 Mill Road"], "Town": "Leeds", "PostCode": "LS2 9JT"},
    }
    assert await connector.invoke("SubmitAddressChange", arguments) == {"Outcome": "ACCEPTED"}
    assert await connector.invoke("SubmitAddressChange", arguments) == {"Outcome": "DUPLICATE"}
    (record,) = await connector.load_many([nino])
    assert isinstance(record, dict) and record["Address"]["PostCode"] == "LS2 9JT"


async def test_request_id_travels_as_a_soap_header(
    tax: TaxService, connector: SoapConnector
) -> None:
    """The gateway request id in the call context reaches the service as a RequestId header."""
    token = CALL_CONTEXT.set(CallContext(request_id="req-7f3a"))
    try:
        (record,) = await connector.load_many([tax.ninos[11]])
    finally:
        CALL_CONTEXT.reset(token)
    assert isinstance(record, dict)
    assert tax.stats()["last_request_id"] == "req-7f3a"


async def test_single_calls_stay_under_the_concurrency_limit(tax: TaxService) -> None:
    """Thirty single lookups with concurrency 3 never have more than three calls in flight."""
    tax.set_faults(latency_ms=20)
    conn = SoapConnector.from_options("tax", _options(tax, batch_operation=None, concurrency=3))
    await conn.open()
    try:
        tax.reset_stats()
        results = await conn.load_many(tax.ninos[:30])
        assert all(isinstance(r, dict) for r in results)
        assert 1 < tax.stats()["max_in_flight"] <= 3
    finally:
        await conn.aclose()


async def test_batch_chunks_run_in_parallel(tax: TaxService) -> None:
    """Three chunks of a 150-key lookup with a cap of 50 are sent together, not one by one."""
    tax.set_faults(latency_ms=50)
    conn = SoapConnector.from_options("tax", _options(tax, batch_size=50))
    await conn.open()
    try:
        tax.reset_stats()
        results = await conn.load_many(tax.ninos)
        assert all(isinstance(r, dict) for r in results)
        stats = tax.stats()
        assert stats["calls"] == {"GetTaxpayers": 3} and stats["max_in_flight"] > 1
    finally:
        await conn.aclose()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key_path": "NationalInsuranceNumber"}, "NationalInsuranceNumber"),
        ({"batch_operation": "GetTaxpayer"}, "batch_operation: key path"),
    ],
    ids=["unknown-element", "not-repeated"],
)
async def test_key_path_that_does_not_fit_fails_at_open(
    tax: TaxService, changes: dict[str, Any], message: str
) -> None:
    """A key path the operation's input has no place for is a configuration error at open()."""
    conn = SoapConnector.from_options("tax", _options(tax, **changes))
    with pytest.raises(ConfigurationError, match=message):
        await conn.open()
    await conn.aclose()


async def test_invoke_with_arguments_that_do_not_fit(connector: SoapConnector) -> None:
    """Arguments the operation's input has no place for are an InvalidInputError, not a crash."""
    with pytest.raises(InvalidInputError, match="SubmitAddressChange"):
        await connector.invoke("SubmitAddressChange", {"Postcode": "LS1 1AA"})


async def test_invalid_key_in_a_full_batch_is_found_by_halving(tax: TaxService) -> None:
    """One bad key among 100 costs a handful of extra calls, not one call per key."""
    conn = SoapConnector.from_options("tax", _options(tax))
    await conn.open()
    try:
        keys = [*tax.ninos[:57], "BAD-KEY", *tax.ninos[57:99]]
        results = await conn.load_many(keys)
        assert isinstance(results[57], InvalidInputError)
        assert sum(isinstance(r, dict) for r in results) == 99
        assert conn.calls <= 16
    finally:
        await conn.aclose()
