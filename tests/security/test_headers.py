"""Security headers over real HTTP: on every response, a CSP on HTML, no Server header."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from govgraph.serve import build_server, wait_started
from tests.security.support import bare_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_every_response_carries_the_security_headers(tmp_path: Path) -> None:
    """no-store, nosniff, no Referer, no Server on every answer; HTML: CSP, no framing."""
    from govgraph import demo

    demo.identity_provider(tmp_path)
    server = build_server(bare_settings(tmp_path), port=0)
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            responses = [
                await client.post("/graphql", json={"query": "{ __typename }"}),
                await client.post("/graphql", content=b"{", headers={"content-type": "x/y"}),
                await client.post(
                    "/graphql",
                    json={"query": "{ me { id } }"},
                    headers={"authorization": "Bearer nonsense"},
                ),
                await client.get("/healthz"),
                await client.get("/metrics"),
                await client.get("/no-such-page"),
            ]
            page = await client.get("/graphql", headers={"accept": "text/html"})
            pages = [await client.get("/app/signed-out", headers={"accept": "text/html"})]
        for response in [*responses, page, *pages]:
            where = (response.request.method, response.request.url.path, response.status_code)
            assert response.headers["cache-control"] == "no-store", where
            assert response.headers["x-content-type-options"] == "nosniff", where
            assert response.headers["referrer-policy"] in ("no-referrer", "same-origin"), where
            assert "server" not in response.headers, where
        assert all(r.headers["referrer-policy"] == "no-referrer" for r in responses)
        assert all("content-security-policy" not in r.headers for r in responses)
        for html in [page, *pages]:
            assert html.headers["content-type"].startswith("text/html"), html.request.url
            directives = html.headers["content-security-policy"].split("; ")
            policy = {name: value for name, _, value in (d.partition(" ") for d in directives)}
            assert policy["frame-ancestors"] == "'none'"
            assert "unpkg" not in html.headers["content-security-policy"]
            assert "'unsafe-inline'" not in policy["script-src"]
            assert "unsafe-eval" not in policy["script-src"]
    finally:
        server.should_exit = True
        await task
