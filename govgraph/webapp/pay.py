"""Pay a penalty charge notice: amount (money pattern), check your answers, confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govgraph.webapp import queries
from govgraph.webapp.forms import check_amount, error_list, idempotency_key
from govgraph.webapp.guard import AppContext, new_key

__all__ = ["pay_amount", "pay_check", "pay_done"]

_ALREADY = {"ALREADY_PAID", "NOT_PAYABLE"}
_AMOUNT_CODES = {"WRONG_AMOUNT", "DISCOUNT_EXPIRED", "INVALID_AMOUNT"}


async def _fine(request: Request, ctx: AppContext, pcn: str) -> tuple[dict[str, Any] | None, bool]:
    """The citizen's notice ``pcn`` (or None), and whether parking could answer at all."""
    result = await ctx.query(request, queries.FINES)
    fines = ((result.data or {}).get("me") or {}).get("parkingFines")
    reachable = fines is not None and not result.errors_at("me", "parkingFines")
    found = next((f for f in fines or [] if f["pcn"] == pcn), None)
    return found, reachable


def _journey(request: Request, pcn: str) -> dict[str, Any]:
    journeys: dict[str, dict[str, Any]] = request.session.setdefault("pay", {})
    return journeys.setdefault(pcn, {})


def _url(ctx: AppContext, pcn: str, step: str = "") -> str:
    return f"{ctx.base}/pay/{quote(pcn, safe='')}{step}"


def _unavailable(request: Request, ctx: AppContext) -> Response:
    return ctx.problem(
        request,
        503,
        "Sorry, you cannot pay a parking penalty just now",
        "We cannot reach the council's records at the moment. Nothing has been paid.",
        "Try again later.",
    )


def _paid_already(request: Request, ctx: AppContext, pcn: str) -> Response:
    return ctx.problem(
        request,
        409,
        "This penalty does not need paying",
        f"Penalty charge notice {pcn} has been paid, cancelled or is under appeal.",
    )


def _not_found(request: Request, ctx: AppContext) -> Response:
    return ctx.problem(
        request, 404, "Page not found", "We could not find that penalty charge notice."
    )


async def pay_amount(request: Request, ctx: AppContext) -> Response:
    pcn = request.path_params["pcn"]
    fine, reachable = await _fine(request, ctx, pcn)
    if fine is None:
        return _not_found(request, ctx) if reachable else _unavailable(request, ctx)
    due = Decimal(fine["amountDue"]["amount"])
    if due <= 0:
        return _paid_already(request, ctx, pcn)
    journey = _journey(request, pcn)
    value = journey.get("typed", "")
    error = None
    if request.method == "POST":
        form = await request.form()
        value = str(form.get("amount") or "")
        journey["typed"] = value
        amount, error = check_amount(value, due)
        if amount is not None:
            journey["amount"] = amount
            journey.pop("key", None)
            return RedirectResponse(_url(ctx, pcn, "/check"), 303)
    return ctx.render(
        request,
        "pay_amount.html",
        400 if error else 200,
        title="How much do you want to pay?",
        back=f"{ctx.base}/items/PENALTY_NOTICE/{quote(pcn, safe='')}",
        fine=fine,
        value=value,
        error=error,
        errors=error_list({"amount": error}) if error else None,
    )


async def pay_check(request: Request, ctx: AppContext) -> Response:
    pcn = request.path_params["pcn"]
    journey = _journey(request, pcn)
    if "amount" not in journey:
        return RedirectResponse(_url(ctx, pcn), 303)
    if request.method == "POST":
        form = await request.form()
        key = idempotency_key(form.get("idempotency_key"))
        if key is None:
            return RedirectResponse(_url(ctx, pcn, "/check"), 303)
        result = await ctx.query(
            request, queries.PAY, {"pcn": pcn, "amount": journey["amount"], "key": key}
        )
        payment = (result.data or {}).get("payPenaltyNotice")
        if payment is not None:
            request.session.setdefault("paid", {})[pcn] = payment
            return RedirectResponse(_url(ctx, pcn, "/confirmation"), 303)
        codes = result.codes()
        if codes & _ALREADY:
            return _paid_already(request, ctx, pcn)
        if codes & _AMOUNT_CODES:
            journey.pop("amount", None)
            return RedirectResponse(_url(ctx, pcn), 303)
        if codes & {"UNKNOWN_PCN", "INVALID_PCN"}:
            return _not_found(request, ctx)
        return _unavailable(request, ctx)
    fine, reachable = await _fine(request, ctx, pcn)
    if fine is None:
        return _not_found(request, ctx) if reachable else _unavailable(request, ctx)
    journey.setdefault("key", new_key())
    return ctx.render(
        request,
        "pay_check.html",
        title="Check your payment",
        back=_url(ctx, pcn),
        fine=fine,
        amount=journey["amount"],
        key=journey["key"],
    )


async def pay_done(request: Request, ctx: AppContext) -> Response:
    pcn = request.path_params["pcn"]
    payment = (request.session.get("paid") or {}).get(pcn)
    if payment is None:
        return RedirectResponse(_url(ctx, pcn), 303)
    return ctx.render(request, "pay_done.html", title="Payment complete", payment=payment)
