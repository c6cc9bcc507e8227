"""``govgraph soap inspect`` and the WSDL description behind it, on WSDLs of many shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.tax import WSDL_PATH
from govgraph.cli import main
from legacy_connectors.errors import ConfigurationError
from legacy_connectors.soap import SoapConnector
from legacy_connectors.soap.inspect import describe_wsdl, render_text

DATA = Path(__file__).parents[2] / "data" / "wsdl"
ALL_WSDLS = [WSDL_PATH, *sorted(DATA.glob("*.wsdl")), *sorted((DATA / "styles").glob("*.wsdl"))]


@pytest.mark.parametrize("path", ALL_WSDLS, ids=lambda p: p.name)
def test_every_shipped_wsdl_is_described(path: Path) -> None:
    """Every WSDL the project ships is described without error, each operation with its types."""
    description = describe_wsdl(str(path))
    operations = [op for s in description.services for p in s.ports for op in p.operations]
    assert operations and all(op.problem is None for op in operations)
    assert "Operation" in render_text(description)


def test_tax_wsdl_types_across_namespaces() -> None:
    """The split tax WSDL shows both ports, the batch cap and fields from the types namespace."""
    description = describe_wsdl(str(WSDL_PATH))
    (service,) = description.services
    assert [p.protocol for p in service.ports] == ["SOAP 1.1", "SOAP 1.2"]
    ops = {op.name: op for op in service.ports[0].operations}
    assert ops["GetTaxpayers"].input[0].occurs == "1..100"
    taxpayer = ops["GetTaxpayer"].output[0]
    assert taxpayer.namespace == "urn:govgraph:tax:service:v1"
    nino = taxpayer.children[0]
    assert (nino.name, nino.namespace) == ("Nino", "urn:govgraph:tax:types:v1")
    assert "NotFound" in ops["GetTaxpayer"].faults and ops["GetTaxpayer"].fast_reply


def test_header_parts_listed_apart_from_the_body() -> None:
    """A declared SOAP header part is listed under headers, not among the body's fields."""
    description = describe_wsdl(str(DATA / "licences-soap12.wsdl"))
    (op,) = description.services[0].ports[0].operations
    assert [f.name for f in op.headers] == ["client"]
    assert [f.name for f in op.input] == ["Query"]
    assert not op.fast_reply


def test_http_bindings_are_listed_as_not_soap() -> None:
    """HTTP GET/POST ports are listed, marked as not callable by the soap connector."""
    description = describe_wsdl(str(DATA / "styles" / "asmx-style.wsdl"))
    protocols = [p.protocol for p in description.services[0].ports]
    assert protocols[:2] == ["SOAP 1.1", "SOAP 1.2"]
    assert all("not SOAP" in p for p in protocols[2:]) and len(protocols) == 4


def test_rpc_encoded_wsdl_reads_without_the_network() -> None:
    """A WSDL importing the SOAP encoding namespace is read from the bundled schema."""
    description = describe_wsdl(str(DATA / "styles" / "rpc-encoded-style.wsdl"))
    (op,) = description.services[0].ports[0].operations
    assert op.style == "rpc" and [f.name for f in op.input] == ["vrm", "includePaid"]


def test_unusual_schema_features_fall_back_to_zeep() -> None:
    """Choices, wildcards, extensions and recursion are shown, and replies left to zeep."""
    description = describe_wsdl(str(DATA / "styles" / "schema-features.wsdl"))
    (op,) = description.services[0].ports[0].operations
    text = render_text(description)
    assert "(choice of)" in text and "(any element)" in text and "recursive" in text
    assert not op.fast_reply


async def test_connector_refuses_a_non_soap_port() -> None:
    """Choosing an HTTP GET port is a configuration error that says it is not SOAP."""
    conn = SoapConnector.from_options(
        "registry",
        {
            "wsdl": str(DATA / "styles" / "asmx-style.wsdl"),
            "port": "RegistryHttpGet",
            "operation": "Ping",
            "key_path": "x",
            "result_path": "PingResult",
        },
    )
    with pytest.raises(ConfigurationError, match="not a SOAP"):
        await conn.open()


def test_cli_inspect_prints_outline(capsys: pytest.CaptureFixture[str]) -> None:
    """``govgraph soap inspect`` prints services, ports and operations and exits 0."""
    assert main(["soap", "inspect", str(WSDL_PATH)]) == 0
    out = capsys.readouterr().out
    assert "Service TaxService" in out and "Operation GetTaxpayers (document)" in out


def test_cli_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` prints the description as JSON."""
    import json

    assert main(["soap", "inspect", "--json", str(DATA / "vehicles-rpc.wsdl")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["services"][0]["ports"][0]["operations"][0]["name"] == "getVehicle"


def test_cli_inspect_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A WSDL that cannot be read exits 1 with a one-line reason."""
    assert main(["soap", "inspect", str(tmp_path / "absent.wsdl")]) == 1
    assert "could not be read" in capsys.readouterr().err


def test_wsdl_without_service_shows_its_port_types() -> None:
    """An interface-only WSDL is described by its port types' abstract operations."""
    description = describe_wsdl(str(WSDL_PATH.with_name("tax-interface.wsdl")))
    (service,) = description.services
    ops = {op.name: op for op in service.ports[0].operations}
    assert ops["GetTaxpayers"].style == "abstract"
    assert ops["GetTaxpayers"].input[0].children[0].occurs == "1..100"


def test_wsdl_2_is_refused_by_name(tmp_path: Path) -> None:
    """A WSDL 2.0 document is refused with a message saying which version is supported."""
    path = tmp_path / "v2.wsdl"
    path.write_text('<description xmlns="http://www.w3.org/ns/wsdl"/>')
    with pytest.raises(ConfigurationError, match=r"WSDL 2\.0"):
        describe_wsdl(str(path))


def test_credentials_in_a_wsdl_url_are_not_repeated() -> None:
    """A WSDL URL with user:password that cannot be read is named without the password."""
    with pytest.raises(ConfigurationError) as caught:
        describe_wsdl("http://gateway:s3cret-pw@127.0.0.1:9/service?wsdl", timeout_s=2)
    assert "s3cret-pw" not in caught.value.message and "***@127.0.0.1:9" in caught.value.message
