"""WS-Security PasswordDigest end to end: zeep builds the token, the service checks it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from lxml import etree

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from legacy_connectors.soap import SoapConnector


async def _zeep_connector(tax: TaxService, **changes: Any) -> SoapConnector:
    options = source_options(tax.data_dir, tax.base_url) | {"fast_path": False} | changes
    conn = SoapConnector.from_options("tax", options)
    await conn.open()
    return conn


async def _quiet(tax: TaxService) -> None:
    """Reset the service's counts once no call of an earlier test is still being served (a call
    held by injected latency is counted when it is served, after the reset)."""
    for _ in range(50):
        tax.reset_stats()
        await asyncio.sleep(0.1)
        if not tax.stats()["calls"]:
            return
    raise AssertionError("the tax service kept serving earlier calls")


async def test_zeep_digest_batch_call(tax: TaxService) -> None:
    """A batch call built entirely by zeep, with a PasswordDigest token, is served."""
    conn = await _zeep_connector(tax)
    try:
        await _quiet(tax)
        results = await conn.load_many(tax.ninos[:10])
        assert [r["Nino"] for r in results if isinstance(r, dict)] == tax.ninos[:10]
        assert tax.stats()["calls"] == {"GetTaxpayers": 1}
    finally:
        await conn.aclose()


async def test_replayed_nonce_is_rejected(tax: TaxService) -> None:
    """The same signed envelope sent twice is served once, then refused as a replay."""
    conn = await _zeep_connector(tax)
    try:
        assert conn._batch is not None
        body, headers = conn._batch.request(tax.ninos[:3])
    finally:
        await conn.aclose()
    token = etree.fromstring(body).find(".//{*}UsernameToken")
    assert token is not None and token.find("{*}Nonce") is not None
    assert tax.password.encode() not in body
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{tax.base_url}/tax", content=body, headers=headers)
        second = await client.post(f"{tax.base_url}/tax", content=body, headers=headers)
    assert first.status_code == 200
    assert second.status_code == 500
    fault = etree.fromstring(second.content).find(".//{*}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "wsse:FailedAuthentication"
    assert fault.find("detail/{urn:govgraph:tax:service:v1}NotAuthorised") is not None


async def test_fast_path_tokens_are_fresh_per_call(tax: TaxService) -> None:
    """Compiled-template calls carry a new nonce each time, so repeated lookups all succeed."""
    conn = SoapConnector.from_options("tax", source_options(tax.data_dir, tax.base_url))
    await conn.open()
    try:
        for _ in range(3):
            results = await conn.load_many(tax.ninos[:2])
            assert all(isinstance(r, dict) for r in results)
    finally:
        await conn.aclose()
