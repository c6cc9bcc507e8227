"""Who may read what: roles per root field, field groups with identity confidence, analysts.

The policy is data, checked before any upstream call: root fields name the roles that may
use them; each ``Citizen`` field belongs to field groups (what it reveals, which sources it
reads, the identity confidence it needs); node ids name their type's group. Analysts see
aggregates only: the root fields open to them are ``statistics`` and ``services``, and the
only types open to them are those reachable from such root fields that carry no person's data
(see :func:`analyst_types`): never ``Citizen`` nor any type reachable from it, except plain
values such as ``Money``. A root field or ``Citizen`` field without a policy entry is closed to
everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
)

from govgraph.departments import VIEW_TYPES, VIEWS, Department, all_departments, camel
from resolvers.errors import ApiError, Forbidden, Unauthenticated

__all__ = [
    "CITIZEN_FIELD_GROUPS",
    "GROUPS",
    "ITEM_VIEWS",
    "NODE_TYPE_GROUPS",
    "PURPOSE_ROOTS",
    "ROOT_CONFIDENCE",
    "ROOT_ROLES",
    "VALUE_TYPES",
    "FieldGroup",
    "analyst_types",
    "camel",
    "check_citizen_access",
    "check_coordinate",
    "check_group",
    "department_of_item",
    "node_group",
    "require_caseworker",
]

_LEVELS = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "P4": 4}


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """A set of citizen fields that reveal the same kind of data."""

    name: str
    sources: tuple[str, ...]
    """Sources the group's fields read (for the ledger and the cost estimate)."""
    confidence: str
    """Lowest identity confidence level a token must carry to read the group."""
    roles: frozenset[str] = frozenset({"citizen", "caseworker"})
    """Roles that may read the group at all."""


def _department_group(d: Department) -> FieldGroup:
    policy = d.policy
    return FieldGroup(policy.group, (d.source_name,), policy.confidence, policy.roles)


def _view_groups(view: str) -> tuple[str, ...]:
    return tuple(
        d.policy.group for d in all_departments() if any(v == view for v, _, _ in d.item_kinds())
    )


GROUPS: dict[str, FieldGroup] = {
    g.name: g
    for g in (
        FieldGroup("identity", ("index",), "P1"),
        *(_department_group(d) for d in all_departments()),
        FieldGroup("access_log", (), "P1", frozenset({"citizen"})),
        FieldGroup("linkage", ("linkage",), "P1", frozenset({"caseworker"})),
    )
}
"""Field groups by name: the gateway's own, and one per declared department (its declared
access policy, or the default: citizens and caseworkers, identity confidence P2)."""

CITIZEN_FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "id": (),
    "name": ("identity",),
    "dateOfBirth": ("identity",),
    "address": ("identity",),
    "departments": ("identity",),
    **{camel(f): (d.policy.group,) for d in all_departments() for f in d.citizen_fields},
    **{camel(view): _view_groups(view) for view in VIEWS},
    "accessLog": ("access_log",),
    "links": ("linkage",),
}
"""The groups each ``Citizen`` field reads (a department's fields its group; a view the groups
of every department contributing to it); a field missing here is closed to everyone."""

NODE_TYPE_GROUPS: dict[str, str | None] = {
    "Citizen": None,
    **{t: d.policy.group for d in all_departments() for t in d.node_types},
    "LinkReview": "linkage",
    "AddressChange": "identity",
}
"""The group a ``node(id:)`` look-up reads, by the id's type (checked before the fetch); a
view item's group is that of the department adding its kind (:func:`node_group`)."""

ITEM_VIEWS: dict[str, str] = {type_name: view for view, type_name in VIEW_TYPES.items()}
"""The cross-department view each item type's ids come from."""


def department_of_item(type_name: str, local: str | None) -> Department | None:
    """The department adding the view item that an id of ``type_name`` with local key
    ``local`` (``KIND:reference``) names, if any."""
    view = ITEM_VIEWS.get(type_name)
    kind = (local or "").partition(":")[0]
    for d in all_departments():
        if any(r.view == view and r.kind == kind for r in d.items):
            return d
    return None


def node_group(type_name: str, local: str | None) -> str | None:
    """The group a ``node(id:)`` look-up of an id of ``type_name`` (with local key ``local``)
    reads: a view item's is the group of the department that adds its kind."""
    if type_name not in ITEM_VIEWS:
        return NODE_TYPE_GROUPS.get(type_name)
    department = department_of_item(type_name, local)
    return None if department is None else department.policy.group


ROOT_ROLES: dict[str, frozenset[str]] = {
    "me": frozenset({"citizen"}),
    "citizen": frozenset({"caseworker"}),
    "citizens": frozenset({"caseworker"}),
    "node": frozenset({"citizen", "caseworker"}),
    "statistics": frozenset({"caseworker", "analyst"}),
    "services": frozenset({"citizen", "caseworker", "analyst"}),
    "addressChange": frozenset({"citizen"}),
    "payPenaltyNotice": frozenset({"citizen"}),
    "changeAddress": frozenset({"citizen"}),
    "applyForPassportRenewal": frozenset({"citizen"}),
    "linkReview": frozenset({"caseworker"}),
    "resolveLinkReview": frozenset({"caseworker"}),
    "failedDeliveries": frozenset({"caseworker"}),
    "retryDelivery": frozenset({"caseworker"}),
    "cancelDelivery": frozenset({"caseworker"}),
    "_entities": frozenset({"citizen", "caseworker"}),
    "_service": frozenset({"citizen", "caseworker", "analyst"}),
}
"""Roles that may use each root field (of the query, mutation or subscription type); a root
field missing here is closed to everyone."""

ROOT_CONFIDENCE: dict[str, str] = {
    "addressChange": "P1",
    "payPenaltyNotice": "P1",
    "changeAddress": "P2",
    "applyForPassportRenewal": "P2",
}
"""Lowest identity confidence a root field needs (writes act in the citizen's name)."""

PURPOSE_ROOTS: frozenset[str] = frozenset(
    {
        "citizen",
        "citizens",
        "node",
        "linkReview",
        "resolveLinkReview",
        "failedDeliveries",
        "retryDelivery",
        "cancelDelivery",
        "_entities",
    }
)
"""Root fields that read citizens' records: a caseworker must state an allowed purpose."""

VALUE_TYPES: frozenset[str] = frozenset({"Money"})
"""Types reachable from ``Citizen`` that identify no one by themselves (open to analysts)."""

_OPEN_FIELDS = frozenset({"__typename", "__schema", "__type"})


def require_caseworker(principal: Any) -> None:
    """Only caseworkers, with an allowed purpose, may look up citizens by id or list them."""
    if principal is None:
        raise Unauthenticated("sign in to use this field")
    if principal.role != "caseworker":
        raise Forbidden("only caseworkers may look up citizens")
    if not principal.purpose:
        raise Forbidden("a caseworker must state a purpose to look up a citizen")
    if not getattr(principal, "purpose_allowed", False):
        raise Forbidden("the stated purpose is not one of the allowed purposes")


def check_citizen_access(principal: Any, citizen_id: str) -> None:
    """Raise unless ``principal`` may read ``citizen_id``'s records."""
    if principal is None:
        raise Unauthenticated("sign in to see citizens' records")
    if principal.role == "citizen":
        if principal.citizen_id != citizen_id:
            raise Forbidden("you may only see your own records")
        return
    require_caseworker(principal)


def check_group(
    principal: Any, group_name: str, overrides: Mapping[str, str] | None = None
) -> ApiError | None:
    """Why ``principal`` may not read ``group_name``, or ``None`` if they may."""
    group = GROUPS[group_name]
    if principal is None:
        return Unauthenticated("sign in to see citizens' records")
    if principal.role not in group.roles:
        return Forbidden(f"the {principal.role} role may not read `{group_name}` data")
    needed = (overrides or {}).get(group_name, group.confidence)
    held = getattr(principal, "confidence", "P0")
    if _LEVELS.get(held, 0) < _LEVELS.get(needed, 4):
        return Forbidden(
            f"`{group_name}` data needs identity confidence {needed} or higher; "
            f"the token has {held}"
        )
    return None


def _check_root(principal: Any, field: str) -> ApiError | None:
    roles = ROOT_ROLES.get(field)
    if roles is None:
        return Forbidden(f"`{field}` has no access policy")
    if principal is None:
        return Unauthenticated(f"sign in to use `{field}`")
    if principal.role not in roles:
        return Forbidden(f"the {principal.role} role may not use `{field}`")
    needed = ROOT_CONFIDENCE.get(field)
    held = getattr(principal, "confidence", "P0")
    if needed is not None and _LEVELS.get(held, 0) < _LEVELS[needed]:
        return Forbidden(
            f"`{field}` needs identity confidence {needed} or higher; the token has {held}"
        )
    if principal.role == "caseworker" and field in PURPOSE_ROOTS:
        try:
            require_caseworker(principal)
        except ApiError as exc:
            return exc
    return None


def analyst_types(schema: GraphQLSchema) -> frozenset[str]:
    """Object types analysts may read: reachable from a root field open to analysts, and not
    reachable from ``Citizen`` (unless a plain value type)."""
    query = schema.query_type
    if query is None:
        return frozenset()
    roots = [f for name, f in query.fields.items() if "analyst" in ROOT_ROLES.get(name, ())]
    open_types = _reachable(schema, [f.type for f in roots])
    citizen = schema.get_type("Citizen")
    personal = _reachable(schema, [citizen]) if citizen is not None else set()
    return frozenset(open_types - (personal - VALUE_TYPES))


def _reachable(schema: GraphQLSchema, starts: list[Any]) -> set[str]:
    seen: set[str] = set()
    stack = [get_named_type(t) for t in starts]
    while stack:
        named = stack.pop()
        if named.name in seen or not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        seen.add(named.name)
        if is_abstract_type(named):
            stack.extend(schema.get_possible_types(named))
        stack.extend(get_named_type(f.type) for f in named.fields.values())
    return seen


def check_coordinate(
    principal: Any,
    type_name: str,
    field: str,
    *,
    root_types: frozenset[str] = frozenset({"Query"}),
    overrides: Mapping[str, str] | None = None,
    analyst_open: frozenset[str] = frozenset(),
) -> ApiError | None:
    """Why ``principal`` may not read ``type_name.field``, or ``None`` if they may.

    Data-dependent checks (whose citizen an id names) happen in the root resolvers.
    """
    if field in _OPEN_FIELDS or type_name.startswith("__"):
        return None
    if type_name in root_types:
        return _check_root(principal, field)
    if principal is None:
        return Unauthenticated("sign in to see citizens' records")
    if principal.role == "analyst" and type_name not in analyst_open:
        return Forbidden("analysts may read aggregate statistics only")
    if type_name == "Citizen":
        groups = CITIZEN_FIELD_GROUPS.get(field)
        if groups is None:
            return Forbidden(f"`Citizen.{field}` has no access policy")
        for group in groups:
            problem = check_group(principal, group, overrides)
            if problem is not None:
                return problem
    return None
