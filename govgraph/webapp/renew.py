"""Renew a passport: photo code, check your answers with the declaration, confirmation."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govgraph.webapp import queries
from govgraph.webapp.forms import check_photo_code, error_list, idempotency_key
from govgraph.webapp.guard import AppContext, new_key

__all__ = ["renew_check", "renew_done", "renew_photo"]

_IN_PROGRESS = {"RECEIVED", "IN_PROGRESS", "APPROVED"}


async def _passport(request: Request, ctx: AppContext) -> tuple[dict[str, Any] | None, bool]:
    result = await ctx.query(request, queries.PASSPORT)
    reachable = not result.errors_at("me", "passport") and result.data is not None
    passport = ((result.data or {}).get("me") or {}).get("passport")
    return passport, reachable


def _cannot(
    request: Request, ctx: AppContext, passport: dict[str, Any] | None, reachable: bool
) -> Response | None:
    if not reachable:
        return ctx.problem(
            request,
            503,
            "Sorry, you cannot renew a passport just now",
            "We cannot reach the passport office's records at the moment. Nothing has been sent.",
            "Try again later.",
        )
    if passport is None:
        return ctx.problem(
            request,
            404,
            "We cannot find a passport for you",
            "You can only renew a passport that is in your name.",
        )
    if any(a["status"] in _IN_PROGRESS for a in passport["applications"]):
        return ctx.problem(
            request,
            409,
            "You have already applied to renew your passport",
            "Your application is being dealt with. You do not need to apply again.",
        )
    return None


def _journey(request: Request) -> dict[str, Any]:
    journey: dict[str, Any] = request.session.setdefault("renew", {})
    return journey


async def renew_photo(request: Request, ctx: AppContext) -> Response:
    passport, reachable = await _passport(request, ctx)
    refused = _cannot(request, ctx, passport, reachable)
    if refused is not None:
        return refused
    journey = _journey(request)
    value = journey.get("typed", "")
    error = None
    if request.method == "POST":
        form = await request.form()
        value = str(form.get("photo_code") or "")
        journey["typed"] = value
        code, error = check_photo_code(value)
        if code is not None:
            journey["photo_code"] = code
            return RedirectResponse(f"{ctx.base}/renew-passport/check", 303)
    return ctx.render(
        request,
        "renew_photo.html",
        400 if error else 200,
        title="What is your photo code?",
        back=f"{ctx.base}/",
        value=value,
        error=error,
        errors=error_list({"photo_code": error}) if error else None,
    )


async def renew_check(request: Request, ctx: AppContext) -> Response:
    journey = _journey(request)
    if "photo_code" not in journey:
        return RedirectResponse(f"{ctx.base}/renew-passport", 303)
    passport, reachable = await _passport(request, ctx)
    error = None
    if request.method == "POST":
        form = await request.form()
        key = idempotency_key(form.get("idempotency_key"))
        if form.get("declaration") != "yes":
            error = "Confirm the information you have given is correct"
        elif key is not None and passport is not None:
            result = await ctx.query(
                request,
                queries.RENEW,
                {
                    "input": {
                        "passportNumber": passport["number"],
                        "photoCode": journey["photo_code"],
                        "declaration": True,
                    },
                    "key": key,
                },
            )
            renewal = (result.data or {}).get("applyForPassportRenewal")
            if renewal is not None:
                request.session["renewed"] = renewal
                request.session.pop("renew", None)
                return RedirectResponse(f"{ctx.base}/renew-passport/confirmation", 303)
            if "INVALID_PHOTO_CODE" in result.codes():
                journey.pop("photo_code", None)
                return RedirectResponse(f"{ctx.base}/renew-passport", 303)
            refused = _cannot(request, ctx, passport, False)
            if "APPLICATION_IN_PROGRESS" in result.codes():
                refused = _cannot(request, ctx, {"applications": [{"status": "RECEIVED"}]}, True)
            assert refused is not None
            return refused
    refused = _cannot(request, ctx, passport, reachable)
    if refused is not None:
        return refused
    assert passport is not None
    journey.setdefault("key", new_key())
    return ctx.render(
        request,
        "renew_check.html",
        400 if error else 200,
        title="Check your application",
        back=f"{ctx.base}/renew-passport",
        passport=passport,
        photo_code=journey["photo_code"],
        key=journey["key"],
        error=error,
        errors=error_list({"declaration": error}) if error else None,
    )


async def renew_done(request: Request, ctx: AppContext) -> Response:
    renewal = request.session.get("renewed")
    if renewal is None:
        return RedirectResponse(f"{ctx.base}/renew-passport", 303)
    return ctx.render(request, "renew_done.html", title="Application received", renewal=renewal)
