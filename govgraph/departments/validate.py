"""Checks of a set of declarations as a whole: each problem names the department, key and fix."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govgraph.departments.identifiers import BUILTIN_IDENTIFIERS
from govgraph.departments.model import VIEWS, CitizenField, Department, EnumType, RecordType
from govgraph.departments.paths import head
from legacy_connectors.errors import ConfigurationError

__all__ = ["RESERVED_FIELDS", "RESERVED_GROUPS", "DepartmentError", "check_departments"]

RESERVED_GROUPS = frozenset({"identity", "access_log", "linkage", "index"})
"""Field groups of the gateway itself."""
RESERVED_FIELDS = frozenset(
    {
        "id",
        "name",
        "date_of_birth",
        "address",
        "departments",
        "links",
        "obligations",
        "entitlements",
        "documents",
        "tasks",
        "access_log",
    }
)
"""``Citizen`` fields of the gateway itself."""
RESERVED_TYPES = frozenset(
    {
        "Query",
        "Mutation",
        "Citizen",
        "Department",
        "Money",
        "Address",
        "Node",
        "Obligation",
        "Entitlement",
        "Document",
        "Task",
        "ObligationKind",
        "EntitlementKind",
        "DocumentKind",
        "TaskKind",
    }
)
SCALARS = frozenset({"str", "int", "bool", "float", "date", "datetime", "money", "address"})
_ID = re.compile(r"[a-z][a-z0-9_]*")
_FIELD = re.compile(r"[a-z][a-z0-9_]*")
_TYPE = re.compile(r"[A-Z][A-Za-z0-9]*")
_KIND = re.compile(r"[A-Z][A-Z0-9_]*")
_ROLES = frozenset({"citizen", "caseworker"})


class DepartmentError(ConfigurationError):
    """The department declarations are inconsistent; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid department declarations:\n  " + "\n  ".join(problems))
        self.problems = problems


def _type_name(spec: str) -> str:
    return spec.strip().removesuffix("?").removeprefix("[").removesuffix("]").removesuffix("?")


def _check_one(d: Department) -> Iterable[str]:
    at = f"departments.{d.id}"
    if not _ID.fullmatch(d.id):
        yield f"{at}.id: expected lower case letters, digits and _, found {d.id!r}; fix: rename it"
    if not d.name.strip():
        yield f"{at}.name: empty; fix: give the display name"
    known_ids = set(BUILTIN_IDENTIFIERS) | {i.name for i in d.identifiers}
    if d.identity is not None:
        ident = d.identity
        if ident.key not in known_ids:
            yield (
                f"{at}.identity.key: unknown identifier {ident.key!r}; fix: use one of "
                f"{', '.join(sorted(known_ids))} or declare it in `identifiers`"
            )
        for name in ident.identifiers:
            if name not in known_ids:
                yield (
                    f"{at}.identity.identifiers.{name}: unknown identifier; fix: use one of "
                    f"{', '.join(sorted(known_ids))} or declare it in `identifiers`"
                )
        if ident.attach_by is not None and ident.attach_by not in known_ids:
            yield (
                f"{at}.identity.attach_by: unknown identifier {ident.attach_by!r}; "
                f"fix: use one of {', '.join(sorted(known_ids))}"
            )
        if ident.forenames and (ident.given_name or ident.middle_names):
            yield (
                f"{at}.identity.forenames: given with given_name/middle_names; "
                f"fix: map one or the other"
            )
        if ident.attach_by is None and not ident.date_of_birth:
            yield (
                f"{at}.identity.date_of_birth: not mapped; fix: map the date of birth (records "
                f"are matched within dates of birth) or link by `attach_by`"
            )
        if d.record_fields:
            for key, path in ident.paths().items():
                if head(path) not in d.record_fields:
                    yield (
                        f"{at}.identity.{key}: {head(path)!r} is not a field of the record "
                        f"(fields: {', '.join(d.record_fields)}); fix: correct the path"
                    )
    policy = d.policy
    if policy.group in RESERVED_GROUPS:
        yield (
            f"{at}.access.group: {policy.group!r} is the gateway's own group; "
            f"fix: choose another name"
        )
    if not policy.roles <= _ROLES:
        extra = ", ".join(sorted(policy.roles - _ROLES))
        yield (
            f"{at}.access.roles: {extra} may not read a person's records; "
            f"fix: keep to citizen, caseworker"
        )
    declared: dict[str, RecordType | EnumType] = {}
    for t in d.types:
        if not _TYPE.fullmatch(t.name) or t.name in RESERVED_TYPES:
            yield (
                f"{at}.types.{t.name}: not a free type name; "
                f"fix: use a PascalCase name of the department's own"
            )
        if t.name in declared:
            yield f"{at}.types.{t.name}: declared twice; fix: keep one"
        declared[t.name] = t
    for t in d.types:
        if isinstance(t, RecordType):
            names = {f.name for f in t.fields}
            for f in t.fields:
                inner = _type_name(f.type)
                if inner not in SCALARS and inner not in declared:
                    yield (
                        f"{at}.types.{t.name}.{f.name}: unknown type {f.type!r}; fix: use "
                        f"{', '.join(sorted(SCALARS))} or a type the department declares"
                    )
                if not f.description.strip():
                    yield f"{at}.types.{t.name}.{f.name}: no description; fix: describe the field"
            if t.node_key is not None and t.node_key not in names:
                yield (
                    f"{at}.types.{t.name}.node_key: {t.node_key!r} is not one of its fields; "
                    f"fix: name a field"
                )
    for cf in d.fields:
        yield from _check_field(at, cf, declared)
    for i, rule in enumerate(d.items):
        if rule.view not in VIEWS:
            yield (
                f"{at}.items[{i}].view: unknown view {rule.view!r}; "
                f"fix: use one of {', '.join(VIEWS)}"
            )
        if rule.field and rule.field not in {f.name for f in d.fields}:
            yield (
                f"{at}.items[{i}].field: {rule.field!r} is not one of the department's fields; "
                f"fix: name a field of `fields` or leave it empty"
            )
        if rule.action is not None and rule.view != "tasks":
            yield (
                f"{at}.items[{i}].action: only a task has an action, this rule adds to "
                f"{rule.view!r}; fix: remove the action or make the rule's view `tasks`"
            )
        if not _KIND.fullmatch(rule.kind):
            yield (
                f"{at}.items[{i}].kind: {rule.kind!r} is not an UPPER_SNAKE item kind; "
                f"fix: rename it"
            )
    if d.items and not d.fields:
        yield f"{at}.items: items need a record type; fix: declare `fields` and `types`"


def _check_field(
    at: str, cf: CitizenField, declared: dict[str, RecordType | EnumType]
) -> Iterable[str]:
    if not _FIELD.fullmatch(cf.name):
        yield f"{at}.fields.{cf.name}: expected a snake_case name; fix: rename it"
    if cf.name in RESERVED_FIELDS:
        yield f"{at}.fields.{cf.name}: the gateway's own Citizen field; fix: choose another name"
    if not isinstance(declared.get(cf.type), RecordType):
        yield (
            f"{at}.fields.{cf.name}.type: {cf.type!r} is not a record type the department "
            f"declares; "
            f"fix: declare it in `types`"
        )
    if not cf.description.strip():
        yield f"{at}.fields.{cf.name}: no description; fix: describe the field"


def check_departments(declared: list[tuple[str, Department]]) -> list[str]:
    """Every problem of a set of declarations (empty when consistent)."""
    problems: list[str] = []
    first: dict[str, str] = {}
    owners: dict[tuple[str, str], str] = {}
    for origin, d in declared:
        if d.id in first:
            problems.append(
                f"departments.{d.id}: declared twice ({first[d.id]} and {origin}); fix: give one "
                f"of them another id or uninstall one"
            )
            continue
        first[d.id] = origin
        problems.extend(_check_one(d))
        claims = [("group", d.policy.group), ("source", d.source_name)]
        claims += [("field", f) for f in d.citizen_fields]
        claims += [("type", t.name) for t in d.types]
        claims += [("kind", f"{view}:{kind}") for view, kind, _ in d.item_kinds()]
        for what, name in claims:
            other = owners.get((what, name))
            if other is not None:
                problems.append(
                    f"departments.{d.id}: {what} {name!r} is also department {other!r}'s; fix: "
                    f"choose another {what} name"
                )
            else:
                owners[(what, name)] = d.id
    return problems
