"""Redaction of operator detail before it is logged."""

from __future__ import annotations

import logging

import pytest

from govgraph.redact import DATA_LOGGERS, quiet_data_loggers, redact

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("no record for AB123456C", "no record for", "AB123456C"),
        ("licence MORGA753116SM9IJ unknown", "unknown", "MORGA753116SM9IJ"),
        ("passport 123456789 and UTR 1234567890", "passport", "123456789"),
        ("vehicle AB12 CDE at SW1A 1AA", "vehicle", "AB12 CDE"),
        ("born 1980-02-03", "born", "1980-02-03"),
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "Authorization", "eyJ"),
        (
            "OperationalError: no such table [SQL: SELECT SURNM FROM PSPT WHERE NO = ?] "
            "[parameters: ('123456789',)]",
            "no such table",
            "SURNM",
        ),
        ('<?xml version="1.0"?><soap:Envelope><Nino>AB123456C</Nino>', "", "Nino"),
        ("mail ada@example.org", "mail", "ada@example.org"),
    ],
)
async def test_identifiers_tokens_sql_and_xml_are_removed(text: str, kept: str, gone: str) -> None:
    """Anything that may identify a person, or quote a token, statement or envelope, goes."""
    out = redact(text)
    assert gone not in out
    assert kept in out


async def test_operational_detail_is_kept() -> None:
    """Timeouts, HTTP statuses, sizes and service names stay readable."""
    text = "operation GetTaxAccount: HTTP 503, 1234 bytes after 5.0 s (tax)"
    assert redact(text) == text


async def test_data_loggers_stay_at_warning() -> None:
    """Debug logging of database and SOAP libraries is held back."""
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG)
    quiet_data_loggers()
    assert all(logging.getLogger(n).getEffectiveLevel() >= logging.WARNING for n in DATA_LOGGERS)
