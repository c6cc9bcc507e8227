"""Every kind reads a write command's payload by the same dotted-path rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legacy_connectors.errors import InvalidInputError
from legacy_connectors.payload import payload_value
from legacy_connectors.soap.commands import SoapCommand, build_values
from legacy_connectors.sql.commands import ValueSpec, encode_value

PAYLOAD = {
    "nino": "AB123456C",
    "address": {"lines": ["4 Ropewalk", "Upper Deck"], "town": "Portside", "2": "key two"},
}


def test_a_path_walks_mappings_and_list_items() -> None:
    """Keys walk mappings; a number picks a list item; a numeric key is a key first."""
    assert payload_value(PAYLOAD, "address.town") == "Portside"
    assert payload_value(PAYLOAD, "address.lines") == ["4 Ropewalk", "Upper Deck"]
    assert payload_value(PAYLOAD, "address.lines.1") == "Upper Deck"
    assert payload_value(PAYLOAD, "address.2") == "key two"


@pytest.mark.parametrize("path", ["address.county", "address.lines.2", "address.town.0", "x"])
def test_an_absent_path_is_a_key_error_naming_it(path: str) -> None:
    """Missing keys, items past the end and indexes into text are absent, named by the path."""
    with pytest.raises(KeyError) as absent:
        payload_value(PAYLOAD, path)
    assert absent.value.args == (path,)


def test_soap_requests_take_list_items() -> None:
    """A SOAP command maps a request path to one item of a payload list."""
    spec = SoapCommand(operation="Op", fields={"Address.Line": "address.lines.0"})
    assert build_values("tax", "change_address", spec, PAYLOAD, "d1")["Address.Line"] == (
        "4 Ropewalk"
    )
    missing = SoapCommand(operation="Op", fields={"Address.Line": "address.lines.5"})
    with pytest.raises(InvalidInputError) as refused:
        build_values("tax", "change_address", missing, PAYLOAD, "d1")
    assert "'address.lines.5'" in refused.value.message


def test_sql_values_take_list_items() -> None:
    """A SQL column takes one item of a payload list; a missing one names the field."""
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert encode_value(ValueSpec(field="address.lines.1"), PAYLOAD, now, "ADDR_L2") == (
        "Upper Deck"
    )
    with pytest.raises(InvalidInputError) as refused:
        encode_value(ValueSpec(field="address.lines.2"), PAYLOAD, now, "ADDR_L3")
    assert "'address.lines.2'" in refused.value.message
