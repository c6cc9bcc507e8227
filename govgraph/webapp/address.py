"""Tell us once about a new address: the address (GOV.UK pattern), check, then its delivery."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govgraph.webapp import queries
from govgraph.webapp.forms import check_address, error_list, idempotency_key, postcode
from govgraph.webapp.guard import AppContext, new_key
from govgraph.webapp.render import DEPARTMENT_NAMES, long_date

__all__ = ["address_check", "address_form", "address_progress"]

_FIELDS = ("line1", "line2", "town", "postcode")
_STATUS = {
    "PENDING": ("Waiting to send", "govuk-tag--grey"),
    "RETRYING": ("Trying again", "govuk-tag--yellow"),
    "DELIVERED": ("Done", "govuk-tag--green"),
}


def _lines(values: dict[str, str]) -> list[str]:
    parts = [values["line1"], values["line2"], values["town"], values["postcode"]]
    return [" ".join(p.split()) for p in parts if p.strip()]


async def address_form(request: Request, ctx: AppContext) -> Response:
    values: dict[str, str] = dict(request.session.get("address", {}).get("values", {}))
    values = {f: values.get(f, "") for f in _FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form()
        values = {f: str(form.get(f) or "") for f in _FIELDS}
        errors = check_address(values)
        request.session["address"] = {"values": values}
        if not errors:
            values["postcode"] = postcode(values["postcode"])
            request.session["address"] = {"values": values, "ready": True}
            return RedirectResponse(f"{ctx.base}/address/check", 303)
    return ctx.render(
        request,
        "address_form.html",
        400 if errors else 200,
        title="What is your new address?",
        nav="address",
        back=f"{ctx.base}/",
        values=values,
        field_errors=errors,
        errors=error_list(errors) if errors else None,
    )


async def address_check(request: Request, ctx: AppContext) -> Response:
    journey: dict[str, Any] = request.session.get("address") or {}
    if not journey.get("ready"):
        return RedirectResponse(f"{ctx.base}/address", 303)
    values = journey["values"]
    if request.method == "POST":
        form = await request.form()
        key = idempotency_key(form.get("idempotency_key"))
        if key is None:
            return RedirectResponse(f"{ctx.base}/address/check", 303)
        lines = [values["line1"]] + ([values["line2"]] if values["line2"].strip() else [])
        result = await ctx.query(
            request,
            queries.MOVE,
            {
                "address": {"lines": lines, "town": values["town"], "postcode": values["postcode"]},
                "key": key,
            },
        )
        change = (result.data or {}).get("changeAddress")
        if change is None:
            codes = result.codes()
            if codes & {"INVALID_ADDRESS_LINES", "INVALID_TOWN", "INVALID_POSTCODE"}:
                journey["ready"] = False
                return RedirectResponse(f"{ctx.base}/address", 303)
            return ctx.problem(
                request,
                503,
                "Sorry, we cannot take your new address just now",
                "Nothing has been sent. Try again later.",
            )
        request.session.pop("address", None)
        return RedirectResponse(f"{ctx.base}/address/{quote(change['id'], safe='')}?sent=1", 303)
    journey.setdefault("key", new_key())
    return ctx.render(
        request,
        "address_check.html",
        title="Check your new address",
        nav="address",
        back=f"{ctx.base}/address",
        address_lines=_lines(values),
        key=journey["key"],
    )


async def address_progress(request: Request, ctx: AppContext) -> Response:
    change_id = request.path_params["change_id"]
    result = await ctx.query(request, queries.ADDRESS_CHANGE, {"id": change_id})
    change = (result.data or {}).get("addressChange")
    if change is None:
        if result.codes() & {"NOT_FOUND", "BAD_USER_INPUT", "FORBIDDEN"}:
            return ctx.problem(request, 404, "Page not found", "We could not find that change.")
        return ctx.problem(request, 503, "Sorry, we cannot show this just now", "Try again later.")
    rows = []
    for delivery in change["deliveries"]:
        name = DEPARTMENT_NAMES.get(delivery["department"], "")
        if delivery.get("authority"):
            name = f"{name}: {delivery['authority']}"
        text, tag = _STATUS.get(delivery["status"], ("Waiting to send", "govuk-tag--grey"))
        status_html = f'<strong class="govuk-tag {tag}">{text}</strong>'
        if delivery.get("deliveredAt"):
            status_html += (
                f' <span class="govuk-body-s">{long_date(delivery["deliveredAt"])}</span>'
            )
        rows.append([{"text": name}, {"html": status_html}])
    address = change["address"]
    address_text = ", ".join(
        [*address["lines"], address.get("town") or "", address.get("postcode") or ""]
    )
    return ctx.render(
        request,
        "address_progress.html",
        title="Your change of address",
        nav="address",
        just_sent=request.query_params.get("sent") == "1",
        complete=change["complete"],
        rows=rows,
        address_text=address_text.replace(", ,", ","),
        change_id=change["id"],
    )
