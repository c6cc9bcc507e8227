"""The connector against WSDLs of other shapes, each served by a tiny simulated endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from fixtures.tax.runner import serve_in_thread
from legacy_connectors.errors import InvalidInputError, ProtocolError
from legacy_connectors.soap import SoapConnector
from tests.data.wsdl.endpoints import HERE, create_app


@pytest.fixture(scope="module")
def shapes_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as url:
        yield url


VEHICLES = {
    "wsdl": str(HERE / "vehicles-rpc.wsdl"),
    "operation": "getVehicle",
    "key_path": "vrm",
    "result_path": "vehicle",
    "batch_operation": "getVehicles",
    "batch_key_path": "vrms.vrm",
    "batch_result_path": "vehicles.vehicle",
    "result_key_path": "vrm",
    "batch_size": 2,
    "not_found_fault_codes": ["UnknownVehicle"],
}
LICENCES = {
    "wsdl": str(HERE / "licences-soap12.wsdl"),
    "operation": "FindLicence",
    "key_path": "Query.LicenceNumber",
    "result_path": "Licence",
    "request_values": {"_soapheaders": {"client": {"System": "govgraph"}}},
}
CLAIMS = {
    "wsdl": str(HERE / "claims-arrays.wsdl"),
    "operation": "GetClaimant",
    "key_path": "Nino",
    "result_path": "Result",
    "batch_operation": "GetClaimants",
    "batch_key_path": "Ninos.Nino",
    "batch_result_path": "Results.Result",
    "result_key_path": "Nino",
    "batch_size": 20,
    "not_found_fault_codes": ["ClaimantUnknown"],
}


async def _load(url: str, options: dict[str, Any], keys: list[str], **changes: Any) -> list[Any]:
    path = options["wsdl"].rsplit("-", 1)[0].rsplit("/", 1)[-1]
    conn = SoapConnector.from_options("shape", options | {"endpoint": f"{url}/{path}"} | changes)
    await conn.open()
    try:
        return await conn.load_many(keys)
    finally:
        await conn.aclose()


@pytest.mark.parametrize("batch", [True, False])
async def test_rpc_literal_vehicles(shapes_url: str, batch: bool) -> None:
    """rpc/literal: typed parts and unqualified accessors decode, batch or single."""
    changes = {} if batch else {"batch_operation": None}
    keys = ["XY70 ZZZ", "NO00 NEW", "AB12 CDE", "LM05 QRS"]
    results = await _load(shapes_url, VEHICLES, keys, **changes)
    assert results[1] is None
    assert results[0] == {
        "vrm": "XY70 ZZZ",
        "make": "KIA",
        "model": None,
        "firstRegistered": date(2020, 9, 14),
        "taxExpiry": None,
        "engineCc": 999,
        "exported": True,
    }
    assert results[2]["model"] == "FOCUS" and results[2]["exported"] is False


async def test_soap12_with_header_part_and_attributes(shapes_url: str) -> None:
    """SOAP 1.2 with a declared header part (sent in the Header) and an attribute on the record."""
    results = await _load(shapes_url, LICENCES, ["SMITH701015J99AB", "NOBODY", "JONES852203A99CD"])
    assert results[0] == {
        "Number": "SMITH701015J99AB",
        "Holder": "J SMITH",
        "Expiry": date(2031, 10, 14),
        "Endorsement": [{"Code": "SP30", "Points": 3}, {"Code": "CU80", "Points": 6}],
        "status": "VALID",
    }
    assert results[1] is None
    assert results[2]["status"] == "REVOKED" and results[2]["Endorsement"] == []


async def test_soap12_without_header_is_a_typed_fault(shapes_url: str) -> None:
    """Leaving out the required header gives the service's Sender fault as a typed error."""
    options = {k: v for k, v in LICENCES.items() if k != "request_values"}
    (result,) = await _load(shapes_url, options, ["SMITH701015J99AB"])
    assert isinstance(result, InvalidInputError)
    assert "Sender" in (result.detail or "") and "MissingHeader" in (result.detail or "")


@pytest.mark.parametrize("batch", [True, False])
async def test_arrays_and_optional_elements(shapes_url: str, batch: bool) -> None:
    """Nested wrappers, optional arrays, nil, empty and absent elements decode as zeep would."""
    changes = {} if batch else {"batch_operation": None}
    keys = ["AA123456A", "ZZ000000Z", "BB123456B", "CC123456C"]
    results = await _load(shapes_url, CLAIMS, keys, **changes)
    first, missing, second, third = results
    assert missing is None
    claims = first["Claims"]["Claim"]
    assert claims[0]["Id"] == 9000000001 and claims[0]["Amount"] == Decimal("393.45")
    assert claims[0]["Opened"] == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert claims[0]["Ended"] is None
    assert claims[0]["Payments"]["Payment"][1] == {
        "PaidOn": date(2026, 9, 1),
        "Amount": Decimal("393.45"),
    }
    assert claims[1]["Ended"] == date(2023, 1, 10) and claims[1]["Payments"] is None
    assert second == {
        "Nino": "BB123456B",
        "Active": False,
        "Claims": None,
        "Note": "No claims on record",
    }
    assert third["Claims"]["Claim"][0]["Payments"] is None


@pytest.mark.parametrize("options", [VEHICLES, LICENCES, CLAIMS], ids=["rpc", "soap12", "arrays"])
async def test_fast_and_zeep_paths_agree(shapes_url: str, options: dict[str, Any]) -> None:
    """On every shape, the compiled path and zeep's path give identical results."""
    keys = {
        id(VEHICLES): ["XY70 ZZZ", "NO00 NEW", "AB12 CDE", "LM05 QRS"],
        id(LICENCES): ["SMITH701015J99AB", "NOBODY", "JONES852203A99CD"],
        id(CLAIMS): ["AA123456A", "ZZ000000Z", "BB123456B", "CC123456C"],
    }[id(options)]
    fast = await _load(shapes_url, options, keys, fast_path=True)
    slow = await _load(shapes_url, options, keys, fast_path=False)
    assert repr(fast) == repr(slow)


async def test_wrong_endpoint_shape_is_protocol_error(shapes_url: str) -> None:
    """Pointing a WSDL at an endpoint that answers another shape is a ProtocolError, not a crash."""
    with pytest.raises(ProtocolError):
        await _load(
            shapes_url,
            CLAIMS | {"endpoint": f"{shapes_url}/vehicles"},
            ["AA123456A"],
            endpoint=f"{shapes_url}/vehicles",
        )


REGISTRY = {
    "wsdl": str(HERE / "styles" / "asmx-style.wsdl"),
    "port": "RegistrySoap",
    "operation": "ListOffices",
    "key_path": "region",
    "result_path": "ListOfficesResult",
    "request_values": {"limit": 10},
}


@pytest.mark.parametrize("fast", [True, False])
async def test_aspnet_style_service(shapes_url: str, fast: bool) -> None:
    """An ASP.NET-style service (xsi declared everywhere, a nil array item) decodes as zeep does."""
    conn = SoapConnector.from_options(
        "registry", REGISTRY | {"endpoint": f"{shapes_url}/registry.asmx", "fast_path": fast}
    )
    await conn.open()
    try:
        north, south, nowhere = await conn.load_many(["north", "south", "west"])
    finally:
        await conn.aclose()
    assert north["Office"][0]["Phones"] == {"string": ["0113 496 0000", "0113 496 0001"]}
    assert north["Office"][1] == {"Code": None, "Opened": None, "Phones": None}
    assert south["Office"][0]["Phones"] is None and south["Office"][1]["Phones"] is None
    assert south["Office"][1]["Opened"] == datetime(2003, 6, 1, 8, 30)
    assert nowhere is None
