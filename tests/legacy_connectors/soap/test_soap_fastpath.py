"""The compiled fast path gives exactly what zeep's full path gives, on real responses."""

from __future__ import annotations

from typing import Any

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from legacy_connectors.soap import SoapConnector


def typed(value: Any) -> Any:
    """The value with every leaf's type attached, so Decimal('1') and 1.0 differ."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, {k: typed(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("list", type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, value)


async def _both(tax: TaxService, **changes: Any) -> tuple[SoapConnector, SoapConnector]:
    options = source_options(tax.data_dir, tax.base_url) | changes
    fast = SoapConnector.from_options("tax", options | {"fast_path": True})
    slow = SoapConnector.from_options("tax", options | {"fast_path": False})
    await fast.open()
    await slow.open()
    return fast, slow


async def test_batch_records_identical(tax: TaxService) -> None:
    """Batch lookups of every taxpayer give identical records, types included, both ways."""
    fast, slow = await _both(tax)
    try:
        assert fast.fast_paths["GetTaxpayers"] == (True, True)
        assert slow.fast_paths["GetTaxpayers"] == (False, False)
        keys = [*tax.ninos, "AB123456C"]
        fast_results = await fast.load_many(keys)
        slow_results = await slow.load_many(keys)
        assert typed(fast_results) == typed(slow_results)
        assert any(r and r["Utr"] is None for r in fast_results)
        assert any(r and r["Account"]["PaymentDue"] == [] for r in fast_results)
        assert any(r and r["Name"]["MiddleNames"] is None for r in fast_results)
    finally:
        await fast.aclose()
        await slow.aclose()


async def test_single_records_identical(tax: TaxService) -> None:
    """Single-call lookups give identical records both ways."""
    fast, slow = await _both(tax, batch_operation=None)
    try:
        keys = tax.ninos[:20]
        assert typed(await fast.load_many(keys)) == typed(await slow.load_many(keys))
    finally:
        await fast.aclose()
        await slow.aclose()


async def test_account_records_identical(tax: TaxService) -> None:
    """Another operation and result path (GetTaxAccount -> Account) agree both ways."""
    fast, slow = await _both(
        tax, operation="GetTaxAccount", result_path="Account", batch_operation=None
    )
    try:
        keys = tax.ninos[20:40]
        fast_results = await fast.load_many(keys)
        assert all(isinstance(r, dict) and "Balance" in r for r in fast_results)
        assert typed(fast_results) == typed(await slow.load_many(keys))
    finally:
        await fast.aclose()
        await slow.aclose()


async def test_scan_pages_identical(tax: TaxService) -> None:
    """scan() yields identical pages both ways."""
    fast, slow = await _both(tax)
    try:
        fast_pages = [page async for page in fast.scan(batch_size=64)]
        slow_pages = [page async for page in slow.scan(batch_size=64)]
        assert typed(fast_pages) == typed(slow_pages)
    finally:
        await fast.aclose()
        await slow.aclose()


async def test_large_reply_parsed_on_a_thread_is_identical(tax: TaxService) -> None:
    """With a zero threshold every reply is parsed on the worker thread, with the same result."""
    fast, slow = await _both(tax, parse_in_thread_bytes=0)
    try:
        keys = tax.ninos[:100]
        assert typed(await fast.load_many(keys)) == typed(await slow.load_many(keys))
    finally:
        await fast.aclose()
        await slow.aclose()
