"""Compiled decoders against zeep's own parsing, on replies that stray from the happy path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from legacy_connectors.soap.decode import (
    Unprojectable,
    compile_element,
    compile_projection,
    keep_tree,
    needs_strict,
    project,
)
from legacy_connectors.soap.values import to_plain
from legacy_connectors.soap.wsdl import load_client, resolve_port

CLAIMS_WSDL = Path(__file__).parents[2] / "data" / "wsdl" / "claims-arrays.wsdl"
SVC = "urn:example:claims:service"
REC = "urn:example:claims:records"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@pytest.fixture(scope="module")
def response_element() -> tuple[Any, Any]:
    client = load_client(str(CLAIMS_WSDL))
    port = resolve_port(client, None, None, "claims")
    body = port.binding._operations["GetClaimants"].output.body
    return body, client.wsdl.types


def _both(response_element: tuple[Any, Any], xml: str) -> tuple[Any, Any]:
    element, schema = response_element
    decoder = compile_element(element, schema)
    assert decoder is not None
    el = etree.fromstring(xml)
    strict = needs_strict(xml.encode())
    return decoder(el, strict), to_plain(element.parse(el, schema))


RESULT = (
    '<c:Result xmlns:r="{rec}"><r:Nino>AA123456A</r:Nino><r:Active>1</r:Active>{claims}</c:Result>'
)


def _reply(results: str) -> str:
    return (
        f'<c:GetClaimantsResponse xmlns:c="{SVC}"><c:Results>{results}</c:Results>'
        "</c:GetClaimantsResponse>"
    )


@pytest.mark.parametrize(
    "xml",
    [
        _reply(RESULT.format(rec=REC, claims="")),
        _reply(RESULT.format(rec=REC, claims="<r:Claims/>")),
        _reply(RESULT.format(rec="", claims="").replace(' xmlns:r=""', "").replace("r:", "")),
        _reply(
            RESULT.format(
                rec=REC,
                claims=(
                    f'<r:Claims><r:Claim xmlns:xsi="{XSI}"><r:Id>7</r:Id><r:Type>UC</r:Type>'
                    "<r:Amount>1.50</r:Amount><r:Opened>2024-01-02T03:04:05Z</r:Opened>"
                    '<r:Ended xsi:nil="true"/></r:Claim></r:Claims>'
                ),
            )
        ),
        _reply(""),
    ],
    ids=["plain", "empty-complex", "unqualified", "xsi-nil", "no-results"],
)
def test_compiled_decoder_matches_zeep(response_element: tuple[Any, Any], xml: str) -> None:
    """The compiled decoder gives what zeep gives, including for odd but valid replies."""
    fast, slow = _both(response_element, xml)
    assert repr(fast) == repr(slow)


def test_element_from_another_namespace_is_an_error(response_element: tuple[Any, Any]) -> None:
    """An element in a namespace the type does not declare is rejected, as zeep rejects it."""
    element, schema = response_element
    decoder = compile_element(element, schema)
    assert decoder is not None
    xml = _reply(RESULT.format(rec="urn:wrong:namespace", claims=""))
    with pytest.raises(ValueError, match="unexpected element"):
        decoder(etree.fromstring(xml), False)
    with pytest.raises(Exception, match="Unexpected element"):
        element.parse(etree.fromstring(xml), schema)


def test_comments_are_skipped(response_element: tuple[Any, Any]) -> None:
    """An XML comment among a record's children is skipped (zeep 4.3 fails on it)."""
    element, schema = response_element
    decoder = compile_element(element, schema)
    assert decoder is not None
    xml = _reply(RESULT.format(rec=REC, claims="<!-- audit --><r:Note>n</r:Note>"))
    (result,) = decoder(etree.fromstring(xml), False)["Results"]["Result"]
    assert result["Note"] == "n" and result["Active"] is True


@pytest.mark.parametrize(
    ("body", "strict"),
    [
        (b"<a><b>1</b></a>", False),
        (f'<a xmlns:xsi="{XSI}"><b>1</b></a>'.encode(), False),
        (f'<a xmlns:i="{XSI}"><b i:nil="true"/></a>'.encode(), True),
        (f"<a xmlns:x='{XSI}'><b x:type='y:Z'/></a>".encode(), True),
    ],
)
def test_strict_only_when_xsi_attributes_are_used(body: bytes, strict: bool) -> None:
    """A declared but unused XML Schema instance namespace does not force strict decoding."""
    assert needs_strict(body) is strict


CLAIM = (
    "<r:Claims><r:Claim><r:Id>7</r:Id><r:Type>UC</r:Type><r:Amount>1.50</r:Amount>"
    "<r:Opened>2024-01-02T03:04:05Z</r:Opened><r:Payments><r:Payment><r:PaidOn>2024-02-01"
    "</r:PaidOn><r:Amount>9.99</r:Amount></r:Payment></r:Payments></r:Claim>"
    "<r:Claim><r:Id>8</r:Id><r:Type>PIP</r:Type><r:Amount>2</r:Amount>"
    "<r:Opened>2024-01-02T03:04:05Z</r:Opened></r:Claim></r:Claims>"
)
KEPT = [
    "Results.Result.Nino",
    "Results.Result.Claims.Claim.Amount",
    "Results.Result.Claims.Claim.Payments",
]


@pytest.mark.parametrize(
    "xml",
    [
        _reply(RESULT.format(rec=REC, claims="")),
        _reply(RESULT.format(rec=REC, claims="<r:Claims/>")),
        _reply(RESULT.format(rec=REC, claims=CLAIM) + RESULT.format(rec=REC, claims="")),
        _reply(RESULT.format(rec=REC, claims=CLAIM + "<r:Note>n</r:Note>")),
        _reply(""),
    ],
    ids=["plain", "empty-complex", "nested-lists", "unkept-sibling", "no-results"],
)
def test_a_projection_is_the_full_decode_cut_down(
    response_element: tuple[Any, Any], xml: str
) -> None:
    """Reading only some paths gives the full decode with every other key left out: lists
    item by item, absent and empty values as None, a kept complex value whole."""
    element, schema = response_element
    full = compile_element(element, schema)
    kept = compile_projection(element, schema, keep_tree(KEPT))
    assert full is not None and kept is not None
    el = etree.fromstring(xml)
    expected = project(full(el, False), keep_tree(KEPT))
    assert repr(kept(el)) == repr(expected)
    if "Nino" in xml:
        (first, *_) = expected["Results"]["Result"]
        assert set(first) == {"Nino", "Claims"}


@pytest.mark.parametrize(
    "claims",
    [
        f'<r:Claims><r:Claim xmlns:xsi="{XSI}"><r:Id>7</r:Id><r:Type>UC</r:Type>'
        "<r:Amount xsi:nil='true'/><r:Opened>2024-01-02T03:04:05Z</r:Opened></r:Claim></r:Claims>",
        "<!-- audit --><r:Note>n</r:Note>",
    ],
    ids=["attributes", "comment"],
)
def test_a_projection_hands_unusual_replies_back(
    response_element: tuple[Any, Any], claims: str
) -> None:
    """A kept element with attributes, or anything the type does not declare (a comment, here),
    is not guessed at: the projection says so and the caller decodes the reply in full."""
    element, schema = response_element
    kept = compile_projection(element, schema, keep_tree(KEPT))
    assert kept is not None
    with pytest.raises(Unprojectable):
        kept(etree.fromstring(_reply(RESULT.format(rec=REC, claims=claims))))


def test_a_projection_of_an_undeclared_element_is_refused(
    response_element: tuple[Any, Any],
) -> None:
    """Keeping a name the type does not declare is an error naming it, not a silent None."""
    element, schema = response_element
    with pytest.raises(LookupError, match="'Nickname'"):
        compile_projection(element, schema, keep_tree(["Results.Result.Nickname"]))


def test_a_path_kept_whole_covers_its_longer_paths() -> None:
    """``a`` kept whole makes ``a.b`` redundant, whatever the order they come in."""
    assert keep_tree(["a.b", "a", "c.d", "c.e"]) == {"a": None, "c": {"d": None, "e": None}}
