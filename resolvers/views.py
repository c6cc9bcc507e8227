"""Cross-department views built from the same per-request loaders as the department fields.

Every item comes from a department's declaration (its ``items`` rules over its mapped records).
A department that cannot answer leaves the others' items in place; its error is reported
beside the data (``errors`` with the view's path), so the client knows the list is partial.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from govgraph.departments import Department as Declaration
from govgraph.departments import Item, ItemRule, all_departments
from resolvers import declared
from resolvers.authz import ITEM_VIEWS, department_of_item
from resolvers.context import RequestContext
from resolvers.records import money
from schema.common import Department
from schema.views import (
    Document,
    DocumentKind,
    Entitlement,
    EntitlementKind,
    Obligation,
    ObligationKind,
    Task,
    TaskKind,
    item_id,
)

__all__ = ["documents", "entitlements", "item_node", "obligations", "tasks"]


async def _items(
    ctx: RequestContext, cid: str, path: list[str | int] | None, view: str
) -> list[tuple[Declaration, ItemRule, Item]]:
    """Items every department with rules for ``view`` adds, in declaration order (a department
    that cannot answer, or a member of it, is reported at ``path`` and left out)."""
    departments = [d for d in all_departments() if any(r.view == view for r in d.items)]
    results = await asyncio.gather(
        *(declared.items(ctx, cid, d, view) for d in departments), return_exceptions=True
    )
    out: list[tuple[Declaration, ItemRule, Item]] = []
    for d, result in zip(departments, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            declared.report_error(ctx, path, result)
            continue
        found, errors = result
        for error in errors:
            declared.report_error(ctx, path, error)
        out.extend((d, rule, item) for rule, item in found)
    return out


def _obligation(cid: str, d: Declaration, rule: ItemRule, item: Item, today: date) -> Obligation:
    return Obligation(
        id=item_id("obligations", cid, rule.kind, item.reference),
        kind=ObligationKind[rule.kind],
        department=Department[d.enum_value],
        reference=item.reference,
        description=item.description,
        amount=money(item.amount),
        due_date=item.date,
    )


def _entitlement(cid: str, d: Declaration, rule: ItemRule, item: Item, today: date) -> Entitlement:
    return Entitlement(
        id=item_id("entitlements", cid, rule.kind, item.reference),
        kind=EntitlementKind[rule.kind],
        department=Department[d.enum_value],
        reference=item.reference,
        description=item.description,
        amount=money(item.amount),
        expected_on=item.date,
    )


def _document(cid: str, d: Declaration, rule: ItemRule, item: Item, today: date) -> Document:
    return Document(
        id=item_id("documents", cid, rule.kind, item.reference),
        kind=DocumentKind[rule.kind],
        department=Department[d.enum_value],
        reference=item.reference,
        expiry_date=item.date,
        days_until_expiry=(item.date - today).days if item.date else None,
    )


def _task(cid: str, d: Declaration, rule: ItemRule, item: Item, today: date) -> Task:
    return Task(
        id=item_id("tasks", cid, rule.kind, item.reference),
        kind=TaskKind[rule.kind],
        department=Department[d.enum_value],
        title=item.description,
        reference=item.reference,
        due_date=item.date,
    )


_BUILD: dict[str, Callable[[str, Declaration, ItemRule, Item, date], Any]] = {
    "obligations": _obligation,
    "entitlements": _entitlement,
    "documents": _document,
    "tasks": _task,
}


async def _view(
    ctx: RequestContext, cid: str, path: list[str | int] | None, view: str
) -> list[Any]:
    build = _BUILD[view]
    return [
        build(cid, d, rule, item, ctx.today) for d, rule, item in await _items(ctx, cid, path, view)
    ]


async def item_node(ctx: RequestContext, type_name: str, cid: str, local: str) -> Any | None:
    """The citizen's item of ``type_name`` whose id carries ``local`` (``KIND:reference``), as
    its view shows it now; ``None`` once it has gone (paid, renewed, expired...)."""
    department = department_of_item(type_name, local)
    if department is None:
        return None
    view = ITEM_VIEWS[type_name]
    kind, _, reference = local.partition(":")
    found, _ = await declared.items(ctx, cid, department, view)
    for rule, item in found:
        if rule.kind == kind and item.reference == reference:
            return _BUILD[view](cid, department, rule, item, ctx.today)
    return None


async def obligations(
    ctx: RequestContext, cid: str, path: list[str | int] | None
) -> list[Obligation]:
    items: list[Obligation] = await _view(ctx, cid, path, "obligations")
    items.sort(key=lambda o: (o.due_date is None, o.due_date or date.max, o.reference))
    return items


async def entitlements(
    ctx: RequestContext, cid: str, path: list[str | int] | None
) -> list[Entitlement]:
    items: list[Entitlement] = await _view(ctx, cid, path, "entitlements")
    items.sort(key=lambda e: (e.expected_on is None, e.expected_on or date.max))
    return items


async def documents(ctx: RequestContext, cid: str, path: list[str | int] | None) -> list[Document]:
    items: list[Document] = await _view(ctx, cid, path, "documents")
    items.sort(key=lambda d: (d.expiry_date is None, d.expiry_date or date.max))
    return items


async def tasks(ctx: RequestContext, cid: str, path: list[str | int] | None) -> list[Task]:
    items: list[Task] = await _view(ctx, cid, path, "tasks")
    items.sort(key=lambda t: (t.due_date is None, t.due_date or date.max))
    return items
