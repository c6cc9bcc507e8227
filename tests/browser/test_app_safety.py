"""The citizen app's guard rails in a real Chromium: no JavaScript, no session, no CSRF token,
an expired session, a department down, keyboard only, a 320 px screen."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.browser.pages import assert_accessible, sign_in, submit
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "app-home-phone.png"
"""The README's phone screenshot: rewritten only when ``GOVGRAPH_UPDATE_SCREENSHOTS=1``, so
that a test run leaves the working tree as it found it."""


async def _citizen(gateway: RunningGateway, persona: str) -> str:
    from govgraph.index import CitizenIndex
    from govgraph.personas import find_personas

    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        return {p.name: p.citizen_id for p in await find_personas(gateway.data_dir, index)}[persona]
    finally:
        await index.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context()
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()


async def test_pay_journey_without_javascript_pays_once(
    browser: Any, app_gateway: RunningGateway
) -> None:
    """With JavaScript off the whole pay journey works, and the same form sent twice pays
    once (both answers show the same reference)."""
    base = app_gateway.base_url
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    try:
        await sign_in(page, base, "parking-fine-discount")
        assert page.url == base + "/app/"
        link = page.locator(".app-item a", has_text="Pay penalty").first
        pcn = re.search(r"[A-Z]{2}\d{8}", await link.inner_text())
        assert pcn is not None
        await link.click()
        due = re.search(r"£([\d,]+(?:\.\d\d)?)", await page.locator("#amount-hint").inner_text())
        assert due is not None
        await page.fill("#amount", "1.00")
        await submit(page, "Continue")
        assert (
            "Amount must be the amount due today"
            in await page.locator("#amount-error").inner_text()
        )
        await page.fill("#amount", due.group(1))
        await submit(page, "Continue")
        assert page.url.endswith("/check")
        form = {
            "csrf_token": await page.locator("form input[name=csrf_token]").last.get_attribute(
                "value"
            ),
            "idempotency_key": await page.locator("input[name=idempotency_key]").get_attribute(
                "value"
            ),
        }
        check = page.url
        await submit(page, "Pay")
        assert "Payment complete" in await page.locator("h1").inner_text()
        first = await page.locator(".govuk-panel__body strong").inner_text()
        again = await page.request.post(check, form=form)
        assert again.ok
        second = re.search(r"reference<br><strong>([^<]+)<", await again.text())
        assert second is not None and second.group(1) == first
        await page.goto(base + "/app/")
        assert pcn.group(0) not in await page.locator("main").inner_text()
    finally:
        await context.close()


async def test_pages_without_a_session_send_to_sign_in_and_back(
    page: Any, app_gateway: RunningGateway
) -> None:
    """A page asked for without signing in goes to sign-in, then to that page."""
    base = app_gateway.base_url
    await sign_in(page, base, "tax-refund", "/app/access")
    assert page.url == base + "/app/access"


async def test_a_form_without_its_csrf_token_is_refused(
    page: Any, app_gateway: RunningGateway
) -> None:
    """A signed-in POST without the form's CSRF token is refused and changes nothing."""
    base = app_gateway.base_url
    await sign_in(page, base, "moving-home")
    refused = await page.request.post(
        base + "/app/address",
        form={"line1": "1 Forged Road", "town": "Northbridge", "postcode": "NB1 1AA"},
    )
    assert refused.status == 403
    assert "could not accept that form" in await refused.text()
    forged = await page.request.post(
        base + "/app/address",
        form={"csrf_token": "wrong", "line1": "1 Forged Road", "town": "X", "postcode": "NB1 1AA"},
    )
    assert forged.status == 403
    await page.goto(base + "/app/address/check")
    assert page.url == base + "/app/address"


async def test_an_expired_session_signs_in_again_then_returns(
    browser: Any, app_gateway: RunningGateway
) -> None:
    """A session cookie the app no longer knows (as after expiry) leads from the page asked for
    to sign-in, then back to that page."""
    base = app_gateway.base_url
    context = await browser.new_context()
    await context.add_cookies(
        [{"name": "govgraph_app", "value": "an-expired-session", "url": base + "/app/"}]
    )
    page = await context.new_page()
    try:
        await page.goto(base + "/app/access")
        assert "/idp/authorize" in page.url
        await page.check("input[name=persona][value=tax-refund]")
        await submit(page, "Sign in")
        assert page.url == base + "/app/access"
    finally:
        await context.close()


async def test_errors_show_no_internal_detail(page: Any, app_gateway: RunningGateway) -> None:
    """Unknown pages and items, and a malformed change id, show plain words: no stack trace,
    no internal name."""
    base = app_gateway.base_url
    await sign_in(page, base, "tax-refund")
    for path in (
        "/app/nowhere",
        "/app/items/TAX_REFUND/nothing",
        "/app/address/%00bad",
        "/app/pay/ZZ00000000",
    ):
        response = await page.goto(base + path)
        assert response is not None and response.status in (404, 503)
        text = await page.locator("body").inner_text()
        assert "Traceback" not in text and "Error:" not in text
        assert not re.search(r"[A-Z]+_[A-Z_]+|resolvers|govgraph\.", text), text
    await assert_accessible(page)


async def test_keyboard_alone_changes_an_address(page: Any, app_gateway: RunningGateway) -> None:
    """Signing in and telling us about a new address can be done with the keyboard alone."""
    base = app_gateway.base_url

    async def tab_to(selector: str) -> None:
        for _ in range(80):
            await page.keyboard.press("Tab")
            if await page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    await page.goto(base + "/app/address")
    await tab_to("input[name=persona]")
    for _ in range(10):
        if await page.evaluate("document.activeElement.value") == "moving-home":
            break
        await page.keyboard.press("ArrowDown")
    assert await page.is_checked("input[value=moving-home]")
    await tab_to("button")
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/app/address")
    for field, value in (
        ("#line1", "3 Key Lane"),
        ("#town", "Northbridge"),
        ("#postcode", "NB2 3CD"),
    ):
        await tab_to(field)
        await page.keyboard.type(value)
    await tab_to("main button")
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/app/address/check")
    await tab_to("main button")
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()
    assert "New address sent" in await page.locator("h1").inner_text()


async def test_home_fits_a_320_pixel_screen(
    browser: Any, app_gateway: RunningGateway, tmp_path: Path
) -> None:
    """At 320 px wide nothing scrolls sideways; the phone screenshot in the README is taken
    (into the README's image with ``GOVGRAPH_UPDATE_SCREENSHOTS=1``)."""
    base = app_gateway.base_url
    context = await browser.new_context(
        viewport={"width": 320, "height": 720},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    try:
        await sign_in(page, base, "benefit-overpayment")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320
        await assert_accessible(page)
        await page.set_viewport_size({"width": 375, "height": 812})
        update = os.environ.get("GOVGRAPH_UPDATE_SCREENSHOTS") == "1"
        shot = SCREENSHOT if update else tmp_path / SCREENSHOT.name
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(b"\x89PNG")
    finally:
        await context.close()


async def test_a_department_down_is_said_in_plain_words(
    page: Any, app_gateway: RunningGateway, app_tax_url: str
) -> None:
    """With the tax service failing, home says tax cannot be reached and shows the rest."""
    base = app_gateway.base_url
    await sign_in(page, base, "tax-refund")
    async with httpx.AsyncClient() as admin:
        (
            await admin.post(f"{app_tax_url}/admin/faults", json={"mode": "failing"})
        ).raise_for_status()
    try:
        await page.reload()
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert "We cannot get information from Tax just now" in banner
        owed = await page.locator("#owed").inner_text()
        assert "Some items may be missing" in owed
        assert await page.locator("#documents .app-item").count() > 0
        await assert_accessible(page)
        async with httpx.AsyncClient(base_url=base) as client:
            token = app_gateway.token("citizen", await _citizen(app_gateway, "tax-refund"))
            body = (
                await client.post(
                    "/graphql",
                    json={"query": "{ me { obligations { kind } entitlements { kind } } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
        gaps = [e for e in body["errors"] if e["path"] == ["me", "entitlements"]]
        assert gaps and all(e["extensions"]["department"] == "TAX" for e in gaps)
    finally:
        async with httpx.AsyncClient() as admin:
            (
                await admin.post(f"{app_tax_url}/admin/faults", json={"mode": "ok"})
            ).raise_for_status()
