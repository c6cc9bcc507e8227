"""Home (what you owe, are owed, documents, what to do next), item detail and the access log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from govgraph.webapp import queries
from govgraph.webapp.api import ApiResult
from govgraph.webapp.guard import AppContext
from govgraph.webapp.render import DEPARTMENT_NAMES, long_date, pounds

__all__ = ["access_log", "home", "item"]

_SECTIONS = (
    ("obligations", "owe", "What you owe", "You do not owe anything.", "dueDate", "Due"),
    (
        "entitlements",
        "owed",
        "What you are owed",
        "Nothing is owed to you.",
        "expectedOn",
        "Expected",
    ),
    (
        "documents",
        "documents",
        "Your documents",
        "You have no documents on record.",
        "expiryDate",
        "Expires",
    ),
    ("tasks", "next", "What to do next", "There is nothing you need to do.", "dueDate", "By"),
)


def _names(departments: set[str]) -> str:
    names = sorted(DEPARTMENT_NAMES.get(d, "one part of government") for d in departments)
    if not names:
        return "one part of government"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_JOURNEYS = {"payPenaltyNotice": "/pay/{}", "applyForPassportRenewal": "/renew-passport"}
"""The app's page for each mutation a task's ``action`` names."""


def _href(base: str, entry: dict[str, Any]) -> str:
    action = entry.get("action") or {}
    journey = _JOURNEYS.get(str(action.get("mutation")))
    if journey is not None:
        return base + journey.format(quote(str(action.get("value", "")), safe=""))
    kind, reference = str(entry["kind"]), str(entry["reference"])
    return f"{base}/items/{quote(kind, safe='')}/{quote(reference, safe='')}"


_DOCUMENTS = {
    "PASSPORT": "Passport",
    "DRIVING_LICENCE": "Driving licence",
    "VEHICLE_TAX": "Vehicle tax",
    "MOT": "MOT",
}


def _title(field: str, entry: dict[str, Any]) -> str:
    if field == "documents":
        kind = str(entry["kind"])
        return f"{_DOCUMENTS.get(kind, kind.replace('_', ' ').capitalize())} {entry['reference']}"
    return str(entry.get("title") or entry.get("description") or entry["reference"])


def _meta(entry: dict[str, Any], date_key: str, date_label: str) -> str:
    parts = []
    if entry.get(date_key):
        parts.append(f"{date_label} {long_date(entry[date_key])}")
    department = DEPARTMENT_NAMES.get(str(entry.get("department")))
    if department:
        parts.append(department)
    return " · ".join(parts)


def home_sections(base: str, result: ApiResult) -> tuple[list[dict[str, Any]], set[str]]:
    """The four parts of the home page, each saying in plain words what may be missing."""
    me = (result.data or {}).get("me") or {}
    down = result.departments_down()
    sections = []
    for field, key, title, empty, date_key, date_label in _SECTIONS:
        gaps = result.errors_at("me", field)
        missing = ""
        if gaps or me.get(field) is None:
            named = {e.department for e in gaps if e.department} or down
            missing = f"We cannot get information from {_names(named)} just now."
        items = []
        for entry in me.get(field) or []:
            amount = entry.get("amount")
            items.append(
                {
                    "title": _title(field, entry),
                    "href": _href(base, entry),
                    "amount": pounds(amount["amount"]) if amount else "",
                    "meta": _meta(entry, date_key, date_label),
                }
            )
        sections.append(
            {"key": key, "title": title, "empty": empty, "items": items, "missing": missing}
        )
    return sections, down


async def home(request: Request, ctx: AppContext) -> Response:
    result = await ctx.query(request, queries.HOME)
    me = (result.data or {}).get("me")
    if me is None:
        return ctx.problem(
            request, 503, "Sorry, we cannot show your account just now", "Try again later."
        )
    sections, down = home_sections(ctx.base, result)
    name = (me.get("name") or {}).get("fullName") or ""
    down_text = f"We cannot get information from {_names(down)} just now." if down else ""
    return ctx.render(
        request,
        "home.html",
        title="Your account",
        nav="home",
        name=name,
        sections=sections,
        down=bool(down),
        down_text=down_text,
    )


def _row(key: str, value: str) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"text": value or "Not known"}}


async def _fine_detail(request: Request, ctx: AppContext, pcn: str) -> Response | None:
    result = await ctx.query(request, queries.FINES)
    fines = ((result.data or {}).get("me") or {}).get("parkingFines") or []
    fine = next((f for f in fines if f["pcn"] == pcn), None)
    if fine is None:
        return None
    due = Decimal(fine["amountDue"]["amount"])
    rows = [
        _row("Council", fine["authority"]),
        _row("Vehicle", fine["vehicleRegistration"]),
        _row("What happened", fine["contravention"]),
        _row("Where", fine.get("location") or ""),
        _row("When", long_date(fine.get("issuedAt"))),
        _row("Full charge", pounds(fine["amount"]["amount"])),
        _row("Reduced charge", pounds(fine["discountAmount"]["amount"])),
        _row("Reduced charge ends", long_date(fine.get("discountDeadline"))),
        _row("Due today", pounds(fine["amountDue"]["amount"])),
    ]
    action = {"text": "Pay this penalty", "href": f"{ctx.base}/pay/{quote(pcn, safe='')}"}
    return ctx.render(
        request,
        "item.html",
        title=f"Penalty charge notice {pcn}",
        caption="Parking",
        back=f"{ctx.base}/",
        rows=rows,
        action=action if due > 0 else None,
        note="" if due > 0 else "There is nothing to pay on this penalty.",
    )


async def item(request: Request, ctx: AppContext) -> Response:
    kind = request.path_params["kind"]
    reference = request.path_params["reference"]
    if kind in ("PENALTY_NOTICE", "PAY_PENALTY"):
        found = await _fine_detail(request, ctx, reference)
        if found is not None:
            return found
    result = await ctx.query(request, queries.HOME)
    me = (result.data or {}).get("me") or {}
    for field, _key, title, _empty, date_key, date_label in _SECTIONS:
        for entry in me.get(field) or []:
            if entry["kind"] != kind or entry["reference"] != reference:
                continue
            rows = [
                _row("Reference", entry["reference"]),
                _row("Part of government", DEPARTMENT_NAMES.get(str(entry["department"]), "")),
            ]
            if entry.get("amount"):
                rows.append(_row("Amount", pounds(entry["amount"]["amount"])))
            if entry.get("description"):
                rows.append(_row("What it is", entry["description"]))
            if entry.get(date_key):
                rows.append(_row(date_label, long_date(entry[date_key])))
            action = None
            if kind in ("PASSPORT", "RENEW_PASSPORT"):
                action = {"text": "Renew your passport", "href": f"{ctx.base}/renew-passport"}
            return ctx.render(
                request,
                "item.html",
                title=_title(field, entry),
                caption=title,
                back=f"{ctx.base}/",
                rows=rows,
                action=action,
            )
    return ctx.problem(
        request, 404, "Page not found", "We could not find that item in your account."
    )


_ROLES = {"CASEWORKER": "A caseworker", "ANALYST": "An analyst", "CITIZEN": "You"}


async def access_log(request: Request, ctx: AppContext) -> Response:
    result = await ctx.query(request, queries.ACCESS_LOG)
    me = (result.data or {}).get("me")
    if me is None:
        return ctx.problem(request, 503, "Sorry, we cannot show this just now", "Try again later.")
    rows = []
    for record in me["accessLog"]:
        who = f"{_ROLES.get(record['role'], 'Someone')} ({record['accessor']})"
        departments = ", ".join(DEPARTMENT_NAMES.get(d, d) for d in record["departments"])
        rows.append(
            [
                {"text": long_date(record["at"])},
                {"text": who},
                {"text": str(record.get("purpose") or "Not given").replace("-", " ").capitalize()},
                {"text": departments or "Your name and identity"},
            ]
        )
    return ctx.render(
        request, "access.html", title="Who has looked at your records", nav="access", rows=rows
    )
