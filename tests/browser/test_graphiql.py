"""GraphiQL works with no network beyond the gateway: its assets come from the package."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_graphiql_loads_offline_and_runs_an_example_tab(
    browser: Any, app_gateway: RunningGateway
) -> None:
    """With every address but the gateway blocked, GraphiQL loads under its strict CSP, opens
    the examples as tabs and runs the first one."""
    base = app_gateway.base_url
    token = app_gateway.token("analyst")
    elsewhere: list[str] = []
    context = await browser.new_context()

    async def only_the_gateway(route: Any) -> None:
        url = route.request.url
        if not url.startswith(base + "/"):
            elsewhere.append(url)
            await route.abort()
        elif url == base + "/graphql" and route.request.method == "POST":
            await route.continue_(
                headers={**route.request.headers, "authorization": f"Bearer {token}"}
            )
        else:
            await route.continue_()

    await context.route("**/*", only_the_gateway)
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        response = await page.goto(base + "/graphql")
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        await page.wait_for_selector(".graphiql-container", timeout=30_000)
        tabs = page.locator(".graphiql-tab")
        assert await tabs.count() >= 8
        await page.click(".graphiql-execute-button")
        result = page.locator(".result-window")
        await result.filter(has_text="threshold").wait_for(timeout=30_000)
        assert '"statistics"' in await result.inner_text()
        assert elsewhere == [] and refused == []
    finally:
        await context.close()
