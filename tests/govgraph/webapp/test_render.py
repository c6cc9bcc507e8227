"""The app's page chrome (header, service navigation, footer) is rendered once per key and
reused, and still follows what each page asks for."""

from __future__ import annotations

import re

from starlette.requests import Request

from govgraph.webapp.render import Renderer


def _page(renderer: Renderer, session: dict[str, str], **context: object) -> str:
    scope = {"type": "http", "method": "GET", "path": "/app/", "headers": [], "session": session}
    response = renderer.page(Request(scope), "error.html", {"title": "T", "lines": [], **context})
    return bytes(response.body).decode()


def _active(html: str) -> list[str]:
    return re.findall(r'govuk-service-navigation__active-fallback">([^<]+)<', html)


def test_navigation_marks_the_section_of_each_page() -> None:
    """Pages of different sections, rendered in turn, each mark their own section; a signed-out
    page has no section links; a second render of a section is the same as the first."""
    renderer = Renderer("/app")
    signed_in = {"token": "t", "csrf": "one"}
    home = _page(renderer, signed_in, nav="home")
    access = _page(renderer, signed_in, nav="access")
    assert _active(home) == ["Home"]
    assert _active(access) == ["Who has looked at my records"]
    assert _active(_page(renderer, signed_in, nav="home")) == ["Home"]
    signed_out = _page(renderer, {})
    assert "/app/access" not in signed_out and _active(signed_out) == []
    assert "/app/access" in home and "Crown copyright" in home and "Crown copyright" in signed_out


def test_per_request_values_are_not_kept() -> None:
    """Two sessions on the same section get their own CSRF token and CSP nonce."""
    renderer = Renderer("/app")
    first = _page(renderer, {"token": "t", "csrf": "token-one"}, nav="home")
    second = _page(renderer, {"token": "t", "csrf": "token-two"}, nav="home")
    assert 'value="token-one"' in first and 'value="token-two"' in second
    assert "token-one" not in second
    nonces = {re.search(r'nonce="([^"]+)"', page).group(1) for page in (first, second)}  # type: ignore[union-attr]
    assert len(nonces) == 2
