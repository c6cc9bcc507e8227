"""Each kind of failure reaches the caller as its typed error, with nothing sensitive in it."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from fixtures.tax import source_options
from fixtures.tax.testing import TaxService
from legacy_connectors.errors import (
    InvalidInputError,
    LegacyError,
    NotAuthorisedError,
    ProtocolError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.soap import SoapConnector


def _assert_safe(error: LegacyError, tax: TaxService, *secrets: str) -> None:
    text = f"{error.message} | {error.detail} | {error!r} | {error}"
    for secret in (tax.password, "Envelope", "<", "wsse", *secrets):
        assert secret not in text, secret
    assert error.service == "tax"


async def _connector(tax: TaxService, **changes: Any) -> SoapConnector:
    conn = SoapConnector.from_options("tax", source_options(tax.data_dir, tax.base_url) | changes)
    await conn.open()
    return conn


@pytest.mark.parametrize("batch", [True, False])
async def test_invalid_nino_is_invalid_input(tax: TaxService, batch: bool) -> None:
    """An InvalidNino fault is an InvalidInputError for that key, in batch and single mode."""
    conn = await _connector(tax, **({} if batch else {"batch_operation": None}))
    try:
        (result,) = await conn.load_many(["ZZ99"])
    finally:
        await conn.aclose()
    assert isinstance(result, InvalidInputError)
    assert result.code == "UPSTREAM_INVALID_INPUT"
    assert "InvalidNino" in result.message
    _assert_safe(result, tax, "ZZ99")


async def test_wrong_password_is_not_authorised(tax: TaxService, tmp_path: Any) -> None:
    """A rejected UsernameToken raises NotAuthorisedError without the password or envelope."""
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    conn = await _connector(tax, password_file=str(wrong))
    try:
        with pytest.raises(NotAuthorisedError) as caught:
            await conn.load_many(tax.ninos[:2])
    finally:
        await conn.aclose()
    assert caught.value.code == "UPSTREAM_NOT_AUTHORISED"
    _assert_safe(caught.value, tax, "not-the-password", *tax.ninos[:2])


async def test_busy_service_is_retriable_with_retry_after(tax: TaxService) -> None:
    """A ServiceBusy fault raises UpstreamBusyError carrying the service's retry-after."""
    tax.set_faults(mode="failing", retry_after_s=3)
    conn = await _connector(tax)
    try:
        with pytest.raises(UpstreamBusyError) as caught:
            await conn.load_many(tax.ninos[:2])
    finally:
        await conn.aclose()
    assert caught.value.retryable and caught.value.retry_after_s == 3
    _assert_safe(caught.value, tax, *tax.ninos[:2])


async def test_slow_service_times_out(tax: TaxService) -> None:
    """A call slower than timeout_s raises UpstreamTimeoutError."""
    tax.set_faults(mode="slow", slow_ms=2000)
    conn = await _connector(tax, timeout_s=0.2)
    try:
        with pytest.raises(UpstreamTimeoutError) as caught:
            await conn.load_many(tax.ninos[:1])
    finally:
        await conn.aclose()
    assert caught.value.retryable
    _assert_safe(caught.value, tax, tax.ninos[0])


async def test_dropped_connection_is_unavailable(tax: TaxService) -> None:
    """A connection closed mid-answer raises UpstreamUnavailableError."""
    tax.set_faults(mode="drop")
    conn = await _connector(tax)
    try:
        with pytest.raises(UpstreamUnavailableError) as caught:
            await conn.load_many(tax.ninos[:1])
    finally:
        await conn.aclose()
    _assert_safe(caught.value, tax, tax.ninos[0])


async def test_refused_connection_is_unavailable(tax: TaxService) -> None:
    """Nothing listening at the endpoint raises UpstreamUnavailableError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conn = await _connector(tax, endpoint=f"http://127.0.0.1:{port}/tax")
    try:
        with pytest.raises(UpstreamUnavailableError):
            await conn.load_many(tax.ninos[:1])
    finally:
        await conn.aclose()


async def test_wrong_endpoint_path_is_protocol_error(tax: TaxService) -> None:
    """An HTTP client error without a SOAP fault is a ProtocolError naming the status."""
    conn = await _connector(tax, endpoint=f"{tax.base_url}/nowhere")
    try:
        with pytest.raises(ProtocolError, match=r"HTTP 40\d"):
            await conn.load_many(tax.ninos[:1])
    finally:
        await conn.aclose()


async def test_not_found_single_call_gives_none(tax: TaxService) -> None:
    """A NotFound fault on a single lookup gives None for that key, not an error."""
    conn = await _connector(tax, batch_operation=None)
    try:
        assert await conn.load_many(["AB123456C"]) == [None]
    finally:
        await conn.aclose()


async def test_dead_service_times_out(tax: TaxService) -> None:
    """A service that never answers raises UpstreamTimeoutError after timeout_s."""
    tax.set_faults(mode="dead")
    conn = await _connector(tax, timeout_s=0.3)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await conn.load_many(tax.ninos[:3])
    finally:
        await conn.aclose()
