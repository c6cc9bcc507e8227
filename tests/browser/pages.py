"""Helpers for the browser tests: signing in as a persona, and axe-core on the page shown."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe

_AXE = Axe()


async def assert_accessible(page: Any) -> None:
    """axe-core (WCAG 2.0-2.2 A and AA rules and best practices) finds no violation."""
    results = await _AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


async def sign_in(page: Any, base_url: str, persona: str, path: str = "/app/") -> None:
    """Open ``path``; sign in at the demo identity provider as ``persona``."""
    await page.goto(base_url + path)
    await page.check(f"input[name=persona][value={persona}]")
    await submit(page, "Sign in")


def text_of(html: str) -> str:
    return " ".join(html.split())


async def submit(page: Any, button: str) -> None:
    """Press the button labelled ``button`` and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.click(f"button:has-text('{button}')")
