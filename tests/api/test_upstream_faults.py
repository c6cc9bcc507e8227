"""SOAP faults reach the GraphQL client as typed errors on the tax field alone, with no secret."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govgraph import demo
from govgraph.index import CitizenIndex
from govgraph.serve import build_server, wait_started
from govgraph.settings import load_settings
from tests.api.helpers import citizen_id_for
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

WRONG_PASSWORD = "not-the-tax-password-7731"


@contextlib.asynccontextmanager
async def _second_gateway(
    gateway: RunningGateway, tax_url: str, folder: Path, *, password_file: Path | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Another gateway over the same departments with its own copy of the citizen index."""
    index = folder / "index.sqlite"
    if not index.exists():
        shutil.copy(gateway.data_dir / "index.sqlite", index)
    index_url = f"sqlite+aiosqlite:///{index}"
    mapping = demo.config_mapping(gateway.data_dir, tax_url, port=0)
    mapping["gateway"]["index_url"] = index_url
    if password_file is not None:
        mapping["sources"]["tax"]["options"]["password_file"] = str(password_file)
    config = folder / "govgraph.toml"
    demo.write_config(config, mapping)
    server = build_server(load_settings(config), port=0)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client, index_url
    finally:
        server.should_exit = True
        await task


def _assert_no_secret(text: str, gateway: RunningGateway, *extra: str) -> None:
    real_password = (gateway.data_dir / "secrets" / "tax.password").read_text().strip()
    for secret in (real_password, WRONG_PASSWORD, "Envelope", "wsse", "Password", *extra):
        assert secret not in text


async def test_rejected_credentials_null_only_tax_with_a_typed_error(
    gateway: RunningGateway, tax_url: str, tmp_path: Path
) -> None:
    """The tax service's authentication fault is UPSTREAM_NOT_AUTHORISED on `tax`; the
    passport still comes back; neither password nor envelope nor NINO is in the response."""
    wrong = tmp_path / "wrong.password"
    wrong.write_text(WRONG_PASSWORD + "\n")
    person: Any = next(
        p for p in gateway.population.people if p.tax is not None and p.passport is not None
    )
    async with _second_gateway(gateway, tax_url, tmp_path, password_file=wrong) as (client, url):
        cid = await citizen_id_for(url, "tax", person.tax.nino)
        r = await client.post(
            "/graphql",
            json={"query": "{ me { tax { taxCode } passport { number } } }"},
            headers=gateway.headers("citizen", cid),
        )
    assert r.status_code == 200
    body = r.json()
    assert body["data"]["me"]["tax"] is None
    assert body["data"]["me"]["passport"]["number"] == person.passport.passport_number
    (error,) = body["errors"]
    assert error["path"] == ["me", "tax"]
    assert error["extensions"]["code"] == "UPSTREAM_NOT_AUTHORISED"
    assert error["extensions"]["service"] == "tax"
    assert error["extensions"]["department"] == "TAX"
    assert error["extensions"]["retryable"] is False
    _assert_no_secret(r.text, gateway, person.tax.nino)


async def test_key_rejected_as_invalid_is_a_typed_error(
    gateway: RunningGateway, tax_url: str, tmp_path: Path
) -> None:
    """A key the tax service rejects as an invalid NINO is UPSTREAM_INVALID_INPUT on `tax`,
    without the key or the envelope in the response."""
    shutil.copy(gateway.data_dir / "index.sqlite", tmp_path / "index.sqlite")
    index = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'index.sqlite'}")
    await index.open()
    try:
        cid = await index.link_by_caseworker(None, "tax", "NOTANINO1")
    finally:
        await index.aclose()
    async with _second_gateway(gateway, tax_url, tmp_path) as (client, _):
        r = await client.post(
            "/graphql",
            json={"query": "{ me { tax { taxCode } } }"},
            headers=gateway.headers("citizen", cid),
        )
    body = r.json()
    assert body["data"]["me"]["tax"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_INVALID_INPUT"
    assert error["extensions"]["service"] == "tax"
    _assert_no_secret(r.text, gateway, "NOTANINO1")
