"""Cross-department views: what the citizen owes, is owed, holds, and should do next."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from govgraph.departments import VIEW_TYPES, all_departments
from govgraph.globalids import encode_id
from schema.common import Department, Money, Node

__all__ = [
    "ITEM_TYPES",
    "Document",
    "DocumentKind",
    "Entitlement",
    "EntitlementKind",
    "Obligation",
    "ObligationKind",
    "Task",
    "TaskAction",
    "TaskKind",
    "item_id",
]


def _kinds(name: str, view: str, description: str) -> Any:
    """The kinds of items in ``view``, as every declared department names them."""
    values = {
        kind: strawberry.enum_value(kind, description=text)
        for d in all_departments()
        for v, kind, text in d.item_kinds()
        if v == view
    }
    members: Any = Enum(name, values)  # type: ignore[misc]
    return strawberry.enum(members, description=description)


if TYPE_CHECKING:

    class ObligationKind(Enum):
        """Kind of money the citizen owes."""

    class EntitlementKind(Enum):
        """Kind of money the citizen is owed."""

    class DocumentKind(Enum):
        """Kind of document or certificate with an expiry date."""

    class TaskKind(Enum):
        """Kind of action the citizen should take."""

else:
    ObligationKind = _kinds("ObligationKind", "obligations", "Kind of money the citizen owes.")
    EntitlementKind = _kinds(
        "EntitlementKind", "entitlements", "Kind of money the citizen is owed."
    )
    DocumentKind = _kinds(
        "DocumentKind", "documents", "Kind of document or certificate with an expiry date."
    )
    TaskKind = _kinds("TaskKind", "tasks", "Kind of action the citizen should take.")


ITEM_TYPES = VIEW_TYPES
"""The object type of each cross-department view's items."""


def item_id(view: str, citizen_id: str, kind: str, reference: str) -> strawberry.ID:
    """The stable global id of an item: its type, the citizen, its kind and its reference (one
    department adds each kind, so the kind names the department too)."""
    return strawberry.ID(encode_id(ITEM_TYPES[view], citizen_id, f"{kind}:{reference}"))


@strawberry.type(description="Something the citizen owes, to any part of government.")
class Obligation(Node):
    kind: ObligationKind = strawberry.field(description="What sort of debt it is.")
    department: Department = strawberry.field(description="Who it is owed to.")
    reference: str = strawberry.field(description="Reference to quote when paying.")
    description: str = strawberry.field(description="A plain-language description.")
    amount: Money = strawberry.field(description="Amount owed now.")
    due_date: date | None = strawberry.field(description="When it is due, if there is a date.")


@strawberry.type(description="Money the citizen is owed, by any part of government.")
class Entitlement(Node):
    kind: EntitlementKind = strawberry.field(description="What sort of payment it is.")
    department: Department = strawberry.field(description="Who pays it.")
    reference: str = strawberry.field(description="Reference of the claim or account.")
    description: str = strawberry.field(description="A plain-language description.")
    amount: Money = strawberry.field(description="Amount to be paid.")
    expected_on: date | None = strawberry.field(description="When it is expected, if known.")


@strawberry.type(description="A document or certificate the citizen holds, with its expiry.")
class Document(Node):
    kind: DocumentKind = strawberry.field(description="What the document is.")
    department: Department = strawberry.field(description="Who issued it.")
    reference: str = strawberry.field(description="Its number or the vehicle's registration.")
    expiry_date: date | None = strawberry.field(description="When it expires.")
    days_until_expiry: int | None = strawberry.field(
        description="Days from today to expiry; negative once expired."
    )


_ACTIONS: dict[str, tuple[str, str]] = {
    rule.kind: rule.action for d in all_departments() for rule in d.items if rule.action
}
"""Task kinds a mutation of this API does: the mutation and the argument naming the target
(from each department's declared item rules)."""


@strawberry.type(description="The mutation of this API that does a task, and for what.")
class TaskAction:
    mutation: str = strawberry.field(description="Name of the `Mutation` field that does it.")
    argument: str = strawberry.field(
        description="Its argument naming the target, as a path for input objects "
        "(e.g. `pcn`, `input.passportNumber`)."
    )
    value: str = strawberry.field(description="The value to give that argument.")


@strawberry.type(description="Something the citizen should do next, across government.")
class Task(Node):
    kind: TaskKind = strawberry.field(description="What to do.")
    department: Department = strawberry.field(description="Who it concerns.")
    title: str = strawberry.field(description="A short instruction for the citizen.")
    reference: str = strawberry.field(description="The document, notice or account concerned.")
    due_date: date | None = strawberry.field(description="Do it by this date, if there is one.")

    @strawberry.field(
        description="The mutation that does this task here, with its target; null when it is "
        "done elsewhere (such as booking an MOT)."
    )
    def action(self) -> TaskAction | None:
        found = _ACTIONS.get(self.kind.name)
        if found is None:
            return None
        return TaskAction(mutation=found[0], argument=found[1], value=self.reference)
