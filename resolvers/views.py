"""Cross-department views built from the same per-request loaders as the department fields.

A department that cannot answer leaves the others' items in place; its error is reported
beside the data (``errors`` with the view's path), so the client knows the list is partial.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from graphql import GraphQLError

from govgraph.departments import Department as Declaration
from govgraph.departments import Item, ItemRule, all_departments
from legacy_connectors.errors import LegacyError
from resolvers import citizen as fetch
from resolvers import declared
from resolvers.context import RequestContext
from resolvers.records import money, penalty_due_date
from schema.common import Department, department_of
from schema.views import (
    Document,
    DocumentKind,
    Entitlement,
    EntitlementKind,
    Obligation,
    ObligationKind,
    Task,
    TaskKind,
)

__all__ = ["documents", "entitlements", "obligations", "report_error", "tasks"]

T = TypeVar("T")

_TAX_REMINDER_DAYS = 60


def report_error(ctx: RequestContext, path: list[str | int] | None, exc: BaseException) -> None:
    """Add ``exc`` to the response's errors at ``path`` while the field keeps its data."""
    if isinstance(exc, LegacyError):
        extensions = {"code": exc.code, "service": exc.service, "retryable": exc.retryable}
        department = department_of((exc.service or "").partition("/")[0])
        if department is not None:
            extensions["department"] = department.value
        message = exc.message
    else:
        extensions = {"code": getattr(exc, "code", "INTERNAL_SERVER_ERROR")}
        message = getattr(exc, "message", "an internal error occurred")
    ctx.add_error(GraphQLError(message, path=path, extensions=extensions))


class _Gathered:
    """Results of several department fetches; failures become partial errors."""

    def __init__(self, ctx: RequestContext, path: list[str | int] | None) -> None:
        self.ctx = ctx
        self.path = path

    def report(self, exc: BaseException) -> None:
        report_error(self.ctx, self.path, exc)

    async def run(self, *calls: Callable[[], Awaitable[Any]]) -> list[Any]:
        results = await asyncio.gather(*(c() for c in calls), return_exceptions=True)
        out: list[Any] = []
        for result in results:
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.report(result)
                out.append(None)
            else:
                out.append(result)
        return out


async def _declared(
    ctx: RequestContext, cid: str, g: _Gathered, view: str
) -> list[tuple[Declaration, ItemRule, Item]]:
    """Items every declared department with rules for ``view`` adds (a department that cannot
    answer is reported and left out)."""
    departments = [d for d in all_departments() if any(r.view == view for r in d.items)]

    def one(d: Declaration) -> Callable[[], Awaitable[Any]]:
        async def call() -> list[tuple[ItemRule, Item]]:
            found, errors = await declared.items(ctx, cid, d, view)
            for error in errors:
                g.report(error)
            return found

        return call

    results = await g.run(*(one(d) for d in departments))
    return [
        (d, rule, item)
        for d, found in zip(departments, results, strict=True)
        for rule, item in found or []
    ]


async def _parking(ctx: RequestContext, cid: str, gathered: _Gathered) -> list[Any]:
    notices, errors = await fetch.parking_fines(ctx, cid)
    for err in errors:
        gathered.report(err)
    return notices


async def obligations(
    ctx: RequestContext, cid: str, path: list[str | int] | None
) -> list[Obligation]:
    g = _Gathered(ctx, path)
    tax, claims, notices = await g.run(
        lambda: fetch.tax_account(ctx, cid),
        lambda: fetch.benefit_claims(ctx, cid),
        lambda: _parking(ctx, cid, g),
    )
    items: list[Obligation] = []
    if tax is not None:
        for p in tax.payments_due:
            items.append(
                Obligation(
                    kind=ObligationKind["TAX_PAYMENT"],
                    department=Department["TAX"],
                    reference=p.reference,
                    description=p.description or "Tax payment",
                    amount=p.amount,
                    due_date=p.due_date,
                )
            )
    for n in notices or []:
        if n.amount_due.amount > 0:
            items.append(
                Obligation(
                    kind=ObligationKind["PENALTY_NOTICE"],
                    department=Department["PARKING"],
                    reference=n.pcn,
                    description=f"Penalty charge: {n.contravention} ({n.authority})",
                    amount=n.amount_due,
                    due_date=penalty_due_date(n, ctx.today),
                )
            )
    for c in claims or []:
        if c.overpayment.amount > 0:
            items.append(
                Obligation(
                    kind=ObligationKind["BENEFIT_OVERPAYMENT"],
                    department=Department["BENEFITS"],
                    reference=c.reference,
                    description="Benefit overpayment to repay",
                    amount=c.overpayment,
                    due_date=None,
                )
            )
    for d, rule, item in await _declared(ctx, cid, g, "obligations"):
        items.append(
            Obligation(
                kind=ObligationKind[rule.kind],
                department=Department[d.enum_value],
                reference=item.reference,
                description=item.description,
                amount=money(item.amount),
                due_date=item.date,
            )
        )
    items.sort(key=lambda o: (o.due_date is None, o.due_date or date.max, o.reference))
    return items


async def entitlements(
    ctx: RequestContext, cid: str, path: list[str | int] | None
) -> list[Entitlement]:
    g = _Gathered(ctx, path)
    tax, claims = await g.run(
        lambda: fetch.tax_account(ctx, cid), lambda: fetch.benefit_claims(ctx, cid)
    )
    items: list[Entitlement] = []
    for c in claims or []:
        if c.status.value == "ACTIVE" and c.next_payment_date is not None:
            items.append(
                Entitlement(
                    kind=EntitlementKind["BENEFIT_PAYMENT"],
                    department=Department["BENEFITS"],
                    reference=c.reference,
                    description=f"Next {c.benefit.value.replace('_', ' ').lower()} payment",
                    amount=c.award_amount,
                    expected_on=c.next_payment_date,
                )
            )
    if tax is not None and tax.refund_due.amount > Decimal("0"):
        items.append(
            Entitlement(
                kind=EntitlementKind["TAX_REFUND"],
                department=Department["TAX"],
                reference="tax-refund",
                description="Tax refund",
                amount=tax.refund_due,
                expected_on=None,
            )
        )
    for d, rule, item in await _declared(ctx, cid, g, "entitlements"):
        items.append(
            Entitlement(
                kind=EntitlementKind[rule.kind],
                department=Department[d.enum_value],
                reference=item.reference,
                description=item.description,
                amount=money(item.amount),
                expected_on=item.date,
            )
        )
    items.sort(key=lambda e: (e.expected_on is None, e.expected_on or date.max))
    return items


def _document(
    kind: DocumentKind, dept: Department, ref: str, expiry: date | None, today: date
) -> Document:
    return Document(
        kind=kind,
        department=dept,
        reference=ref,
        expiry_date=expiry,
        days_until_expiry=(expiry - today).days if expiry else None,
    )


async def documents(ctx: RequestContext, cid: str, path: list[str | int] | None) -> list[Document]:
    g = _Gathered(ctx, path)
    today = ctx.today
    items: list[Document] = []
    for d, rule, item in await _declared(ctx, cid, g, "documents"):
        items.append(
            _document(
                DocumentKind[rule.kind], Department[d.enum_value], item.reference, item.date, today
            )
        )
    items.sort(key=lambda d: (d.expiry_date is None, d.expiry_date or date.max))
    return items


def _within(expiry: date | None, today: date, days: int) -> bool:
    return expiry is not None and expiry <= today + timedelta(days=days)


async def tasks(ctx: RequestContext, cid: str, path: list[str | int] | None) -> list[Task]:
    g = _Gathered(ctx, path)
    tax, notices = await g.run(
        lambda: fetch.tax_account(ctx, cid),
        lambda: _parking(ctx, cid, g),
    )
    today = ctx.today
    items: list[Task] = []
    for n in notices or []:
        if n.amount_due.amount > 0:
            discounted = n.discount_deadline is not None and today <= n.discount_deadline
            title = (
                f"Pay penalty {n.pcn} by {n.discount_deadline:%d %B} to pay "
                f"{n.discount_amount.formatted()} instead of {n.amount.formatted()}"
                if discounted
                else f"Pay penalty {n.pcn}"
            )
            items.append(
                Task(
                    kind=TaskKind["PAY_PENALTY"],
                    department=Department["PARKING"],
                    title=title,
                    reference=n.pcn,
                    due_date=penalty_due_date(n, today),
                )
            )
    if tax is not None:
        for p in tax.payments_due:
            if _within(p.due_date, today, _TAX_REMINDER_DAYS):
                items.append(
                    Task(
                        kind=TaskKind["PAY_TAX"],
                        department=Department["TAX"],
                        title=f"Pay {p.amount.formatted()} tax",
                        reference=p.reference,
                        due_date=p.due_date,
                    )
                )
        if tax.self_assessment_status.value in ("REQUIRED", "OVERDUE"):
            deadline = date(today.year + (1 if today.month > 1 else 0), 1, 31)
            items.append(
                Task(
                    kind=TaskKind["FILE_TAX_RETURN"],
                    department=Department["TAX"],
                    title="File your self-assessment tax return",
                    reference="self-assessment",
                    due_date=deadline,
                )
            )
    for d, rule, item in await _declared(ctx, cid, g, "tasks"):
        items.append(
            Task(
                kind=TaskKind[rule.kind],
                department=Department[d.enum_value],
                title=item.description,
                reference=item.reference,
                due_date=item.date,
            )
        )
    items.sort(key=lambda t: (t.due_date is None, t.due_date or date.max))
    return items
