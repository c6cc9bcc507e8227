"""The citizen app in a real Chromium: sign in, home, paying, renewing, moving, access log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.browser.pages import assert_accessible, sign_in, submit
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

_DEPARTMENT_WORDS = ("Tax", "Benefits", "Passports", "Driving and vehicles", "Parking")


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context()
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()


async def _persona(gateway: RunningGateway, name: str) -> str:
    from govgraph.index import CitizenIndex
    from govgraph.personas import find_personas

    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        return {p.name: p.citizen_id for p in await find_personas(gateway.data_dir, index)}[name]
    finally:
        await index.aclose()


async def _home_items(page: Any) -> list[str]:
    return [t.strip() for t in await page.locator(".app-item").all_inner_texts()]


async def test_sign_in_home_then_pay_the_fine(page: Any, app_gateway: RunningGateway) -> None:
    """Signing in shows items from every department; paying the fine shows a reference and
    the fine leaves the home page."""
    base = app_gateway.base_url
    await page.goto(base + "/app/")
    assert "/idp/authorize" in page.url
    await assert_accessible(page)
    await sign_in(page, base, "parking-fine")
    assert page.url == base + "/app/"
    await assert_accessible(page)
    items = await _home_items(page)
    for word in _DEPARTMENT_WORDS:
        assert any(word in item for item in items), (word, items)
    fine = page.locator(".app-item", has_text="Pay penalty").first
    pcn = re.search(r"[A-Z]{2}\d{8}", await fine.inner_text())
    assert pcn is not None
    assert await fine.locator("a").get_attribute("href") == f"/app/pay/{pcn.group(0)}"
    async with httpx.AsyncClient(base_url=base) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": "{ me { tasks { kind action { mutation argument value } } } }"},
                headers=app_gateway.headers("citizen", await _persona(app_gateway, "parking-fine")),
            )
        ).json()
    actions = [t["action"] for t in body["data"]["me"]["tasks"] if t["kind"] == "PAY_PENALTY"]
    assert {"mutation": "payPenaltyNotice", "argument": "pcn", "value": pcn.group(0)} in actions
    await fine.locator("a").click()
    await assert_accessible(page)
    hint = await page.locator("#amount-hint").inner_text()
    due = re.search(r"£([\d,]+(?:\.\d\d)?)", hint)
    assert due is not None
    await page.fill("#amount", "")
    await submit(page, "Continue")
    assert await page.locator(".govuk-error-summary").is_visible()
    assert "Enter the amount you want to pay" in await page.locator("#amount-error").inner_text()
    await assert_accessible(page)
    await page.fill("#amount", "12x")
    await submit(page, "Continue")
    assert await page.input_value("#amount") == "12x"
    await page.fill("#amount", due.group(1))
    await submit(page, "Continue")
    assert page.url.endswith(f"/app/pay/{pcn.group(0)}/check")
    await assert_accessible(page)
    await submit(page, "Pay")
    assert page.url.endswith("/confirmation")
    assert "Payment complete" in await page.locator("h1").inner_text()
    assert re.search(r"\S{6,}", await page.locator(".govuk-panel__body strong").inner_text())
    await assert_accessible(page)
    await page.goto(base + "/app/")
    assert not any(pcn.group(0) in item for item in await _home_items(page))


async def test_renew_passport_then_task_disappears(page: Any, app_gateway: RunningGateway) -> None:
    """Renewing a passport (photo code, declaration) gives a reference and the renewal task
    leaves the home page."""
    base = app_gateway.base_url
    await sign_in(page, base, "passport-renewal")
    assert any("Renew" in item for item in await _home_items(page))
    await page.click(".app-item a:has-text('Renew')")
    assert page.url.endswith("/app/renew-passport")
    await submit(page, "Continue")
    assert "Enter your photo code" in await page.locator("#photo_code-error").inner_text()
    await assert_accessible(page)
    await page.fill("#photo_code", "ab12cd34")
    await submit(page, "Continue")
    await assert_accessible(page)
    await submit(page, "Apply to renew")
    assert "Confirm the information" in await page.locator(".govuk-error-summary").inner_text()
    await assert_accessible(page)
    await page.check("#declaration")
    await submit(page, "Apply to renew")
    assert "Application received" in await page.locator("h1").inner_text()
    await assert_accessible(page)
    await page.goto(base + "/app/")
    assert not any(
        "Renew" in item and "passport" in item.lower() for item in await _home_items(page)
    )


async def test_change_address_shows_each_department(page: Any, app_gateway: RunningGateway) -> None:
    """A new address is checked as GOV.UK forms do, then shows its delivery to each
    department until every one has it."""
    base = app_gateway.base_url
    await sign_in(page, base, "moving-home", "/app/address")
    assert page.url == base + "/app/address"
    await page.fill("#line1", "12 New Street")
    await page.fill("#postcode", "not a postcode")
    await submit(page, "Continue")
    summary = await page.locator(".govuk-error-summary").inner_text()
    assert "Enter town or city" in summary and "Enter a real postcode" in summary
    assert await page.input_value("#line1") == "12 New Street"
    await assert_accessible(page)
    await page.fill("#town", "Northbridge")
    await page.fill("#postcode", "nb1 2ab")
    await submit(page, "Continue")
    assert "NB1 2AB" in await page.locator(".govuk-summary-list").inner_text()
    await assert_accessible(page)
    await submit(page, "Send")
    assert "New address sent" in await page.locator("h1").inner_text()
    rows = await page.locator("#deliveries tbody tr").all_inner_texts()
    assert {"Tax", "Benefits", "Passports"} <= {r.split("\t")[0].split(":")[0] for r in rows}
    await assert_accessible(page)
    for _ in range(100):
        if "Every part of government" in await page.locator("#delivery-summary").inner_text():
            break
        await page.wait_for_timeout(200)
        await page.click("a:has-text('Check again')")
    rows = await page.locator("#deliveries tbody tr").all_inner_texts()
    assert rows and all("Done" in r for r in rows)


async def test_access_log_lists_a_caseworkers_read(page: Any, app_gateway: RunningGateway) -> None:
    """ "Who has looked at my records" lists a caseworker's read, with its purpose."""
    import httpx

    from govgraph.index import CitizenIndex
    from govgraph.personas import find_personas
    from resolvers.ids import encode_id

    base = app_gateway.base_url
    await sign_in(page, base, "tax-refund", "/app/access")
    assert page.url == base + "/app/access"
    cookies = await page.context.cookies()
    assert cookies and all(c["httpOnly"] and c["sameSite"] == "Lax" for c in cookies)
    index = CitizenIndex(app_gateway.settings.gateway.index_url)
    await index.open()
    try:
        personas = {p.name: p for p in await find_personas(app_gateway.data_dir, index)}
    finally:
        await index.aclose()
    citizen = encode_id("Citizen", personas["tax-refund"].citizen_id)
    async with httpx.AsyncClient(base_url=base) as client:
        read = await client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { citizen(id: $id) { name { fullName } } }",
                "variables": {"id": citizen},
            },
            headers=app_gateway.headers("caseworker", purpose="benefit-claim"),
        )
    assert read.json()["data"]["citizen"]["name"]
    await page.reload()
    table = await page.locator("table").inner_text()
    assert "A caseworker" in table and "Benefit claim" in table
    await assert_accessible(page)
