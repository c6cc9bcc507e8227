"""Jinja templates with the GOV.UK Frontend macros, and the filters the pages use."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    PrefixLoader,
    Undefined,
    select_autoescape,
)
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from govgraph.departments import all_departments

__all__ = ["DEPARTMENT_NAMES", "Renderer", "long_date", "pounds"]

DEPARTMENT_NAMES = {d.enum_value: d.short_name for d in all_departments()}
"""How the app names each part of government to the citizen, by ``Department`` value (each
declaration's ``label``)."""


def long_date(value: Any) -> str:
    """``3 December 2026`` (GOV.UK date style); empty for nothing."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return ""
    if isinstance(value, datetime):
        return f"{value.day} {value:%B %Y} at {value:%-I:%M%p}".replace("AM", "am").replace(
            "PM", "pm"
        )
    return f"{value.day} {value:%B %Y}"


def pounds(value: Any) -> str:
    """``£1,234.50`` from a decimal string (GOV.UK money style: pence only when not whole)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def _department(value: Any) -> str:
    return DEPARTMENT_NAMES.get(str(value), "")


def _humanise(value: Any) -> str:
    return str(value or "").replace("_", " ").capitalize()


_COMPONENTS = {
    "govukBackLink": "back-link",
    "govukButton": "button",
    "govukCheckboxes": "checkboxes",
    "govukErrorSummary": "error-summary",
    "govukInput": "input",
    "govukInsetText": "inset-text",
    "govukNotificationBanner": "notification-banner",
    "govukPanel": "panel",
    "govukRadios": "radios",
    "govukSummaryList": "summary-list",
    "govukTable": "table",
    "govukTag": "tag",
    "govukWarningText": "warning-text",
    "govukFieldset": "fieldset",
}
"""GOV.UK Frontend macros any page may call (name: component folder), loaded once as
globals rather than imported by the layout on every render."""


class _Memo:
    """``{% call memo(*key) %}...{% endcall %}``: the block's output, rendered the first time
    a key is seen and kept (for parts of the page that are the same for every request, such as
    the header and footer). Keys come from templates, so there are a few of them."""

    _LIMIT = 64

    def __init__(self) -> None:
        self._kept: dict[tuple[Any, ...], Markup] = {}

    def __call__(self, *key: Any, caller: Any) -> Markup:
        wanted = tuple(None if isinstance(k, Undefined) else k for k in key)
        found = self._kept.get(wanted)
        if found is None:
            found = Markup(caller())
            if len(self._kept) < self._LIMIT:
                self._kept[wanted] = found
        return found


class Renderer:
    """Renders the app's pages; every page gets the CSRF token and a CSP nonce."""

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path
        self.env = Environment(
            loader=ChoiceLoader(
                [
                    PackageLoader("govgraph.webapp", "templates"),
                    PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
                ]
            ),
            autoescape=select_autoescape(("html",)),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["long_date"] = long_date
        self.env.filters["pounds"] = pounds
        self.env.filters["department"] = _department
        self.env.filters["humanise"] = _humanise
        self.env.globals["base"] = base_path
        self.env.globals["asset_path"] = f"{base_path}/assets"
        self.env.globals["memo"] = _Memo()
        for name, folder in _COMPONENTS.items():
            macros = self.env.get_template(f"govuk_frontend_jinja/components/{folder}/macro.html")
            self.env.globals[name] = getattr(macros.module, name)

    def text(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """The page, with a Content-Security-Policy whose nonce allows its one inline script."""
        nonce = secrets.token_urlsafe(16)
        session = request.scope.get("session") or {}
        body = self.text(
            template,
            {
                "request": request,
                "csrf_token": session.get("csrf", ""),
                "signed_in": bool(session.get("token")),
                "cspNonce": nonce,
                **(context or {}),
            },
        )
        csp = (
            "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        return HTMLResponse(
            body,
            status,
            headers={
                "content-security-policy": csp,
                "x-content-type-options": "nosniff",
                "referrer-policy": "same-origin",
            },
        )
