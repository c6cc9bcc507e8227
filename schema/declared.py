"""GraphQL types built from department declarations: their record types, enums and values.

Each declared :class:`~govgraph.departments.RecordType` becomes an object type (a ``Node`` when
it has a ``node_key``) and each :class:`~govgraph.departments.EnumType` an enum, with the
descriptions the declaration gives; :func:`instance` turns a department's plain mapped values
into objects of those types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import strawberry

from govgraph.departments import CitizenField, Department, EnumType, RecordType, all_departments
from govgraph.globalids import encode_id
from schema.common import Address, Money, Node

__all__ = [
    "DECLARED_TYPES",
    "declared_object_types",
    "field_annotation",
    "instance",
    "is_declared_node",
    "node_key",
    "python_type",
]

_SCALARS: dict[str, Any] = {
    "str": str,
    "int": int,
    "bool": bool,
    "float": float,
    "date": dt.date,
    "datetime": dt.datetime,
    "money": Money,
    "address": Address,
}


def _parse(spec: str) -> tuple[str, bool, bool, bool]:
    """``[T?]?`` -> (T, list, item optional, optional)."""
    text = spec.strip()
    optional = text.endswith("?") and not text.endswith("]")
    if text.endswith("]?"):
        optional, text = True, text[:-1]
    elif optional:
        text = text[:-1]
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return inner.removesuffix("?"), True, inner.endswith("?"), optional
    return text, False, False, optional


def python_type(spec: str, types: Mapping[str, Any]) -> Any:
    """The Python annotation for a declared field type."""
    name, many, item_optional, optional = _parse(spec)
    base = _SCALARS.get(name) or types[name]
    if many:
        item: Any = base | None if item_optional else base
        result: Any = list[item]
    else:
        result = base
    return result | None if optional else result


def _enum(t: EnumType) -> Any:
    values = {value: strawberry.enum_value(value, description=text) for value, text in t.values}
    members: Any = Enum(t.name, values)  # type: ignore[misc]
    return strawberry.enum(members, description=t.description)


def _field_value(obj: Any, name: str) -> Any:
    """A declared record's field, built from its mapped values on first read (the
    ``__getattr__`` of every declared record type: called only for an attribute not yet set)."""
    if name.startswith("_"):
        raise AttributeError(name)
    state = obj.__dict__
    record = state.get("_record")
    if record is None:
        raise AttributeError(name)
    value = state[name] = record.value(name, state["_values"], state["_citizen_id"])
    return value


def _record(t: RecordType, types: Mapping[str, Any]) -> Any:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__annotations__": annotations,
        "__module__": __name__,
        "__getattr__": _field_value,
    }
    for f in t.fields:
        annotations[f.name] = python_type(f.type, types)
        namespace[f.name] = strawberry.field(
            description=f.description, deprecation_reason=f.deprecation or None
        )
    bases: tuple[type, ...] = (Node,) if t.node_key else ()
    cls = type(t.name, bases, namespace)
    return strawberry.type(cls, description=t.description)


def _dependencies(t: RecordType) -> set[str]:
    return {_parse(f.type)[0] for f in t.fields} - set(_SCALARS)


def _build(departments: tuple[Department, ...]) -> dict[str, Any]:
    types: dict[str, Any] = {}
    pending: list[RecordType] = []
    for d in departments:
        for t in d.types:
            if isinstance(t, EnumType):
                types[t.name] = _enum(t)
            else:
                pending.append(t)
    while pending:
        ready = [t for t in pending if _dependencies(t) <= set(types)]
        if not ready:
            names = ", ".join(t.name for t in pending)
            raise TypeError(f"record types refer to each other in a cycle: {names}")
        for t in ready:
            types[t.name] = _record(t, types)
            pending.remove(t)
    return types


DECLARED_TYPES: dict[str, Any] = _build(all_departments())
"""Every declared department's GraphQL types, by name."""

_SPECS: dict[str, RecordType] = {
    t.name: t for d in all_departments() for t in d.types if isinstance(t, RecordType)
}


def declared_object_types() -> list[Any]:
    """The declared object types (for the schema's ``types``, so ``node(id:)`` finds them)."""
    return [DECLARED_TYPES[name] for name in _SPECS]


def _money(value: Any) -> Money:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal("0")
    return Money(amount=amount.quantize(Decimal("0.01")))


def _address(value: Any) -> Address:
    lines = value.get("lines") or []
    return Address(
        lines=[str(x) for x in (lines if isinstance(lines, list) else [lines])],
        town=value.get("town"),
        postcode=value.get("postcode"),
    )


_FIELD_TYPES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    name: tuple((f.name, *_parse(f.type)[:2]) for f in spec.fields) for name, spec in _SPECS.items()
}
"""Each declared record type's fields as (name, type name, list), parsed once."""


def _value(name: str, many: bool, value: Any, citizen_id: str) -> Any:
    if value is None:
        return None
    if many:
        return [_value(name, False, v, citizen_id) for v in value]
    if name == "money":
        return _money(value)
    if name == "address":
        return _address(value)
    if name in _SPECS:
        return instance(name, value, citizen_id)
    if name in DECLARED_TYPES:
        return DECLARED_TYPES[name](value)
    return value


def instance(type_name: str, values: Mapping[str, Any], citizen_id: str) -> Any:
    """An object of the declared record type ``type_name`` from plain mapped values.

    Each field's value is built from ``values`` when it is first read (and kept), so an
    operation pays only for the fields it selects."""
    obj = DECLARED_TYPES[type_name].__new__(DECLARED_TYPES[type_name])
    state = obj.__dict__
    state["_record"] = _RECORDS[type_name]
    state["_values"] = values
    state["_citizen_id"] = citizen_id
    return obj


class _Record:
    """How the fields of one declared record type are built from its mapped values."""

    __slots__ = ("fields", "node_key", "type_name")

    def __init__(self, spec: RecordType) -> None:
        self.type_name = spec.name
        self.node_key = spec.node_key
        self.fields = {name: (type_name, many) for name, type_name, many in _FIELD_TYPES[spec.name]}

    def value(self, name: str, values: Mapping[str, Any], citizen_id: str) -> Any:
        found = self.fields.get(name)
        if found is not None:
            return _value(found[0], found[1], values.get(name), citizen_id)
        if name == "id" and self.node_key is not None:
            local = str(values.get(self.node_key) or "")
            return strawberry.ID(encode_id(self.type_name, citizen_id, local))
        raise AttributeError(f"{self.type_name!r} object has no attribute {name!r}")


_RECORDS: dict[str, _Record] = {name: _Record(spec) for name, spec in _SPECS.items()}


def is_declared_node(type_name: str) -> bool:
    """Whether ``type_name`` is a declared object type with a node key."""
    spec = _SPECS.get(type_name)
    return spec is not None and spec.node_key is not None


def node_key(type_name: str) -> str:
    """The field of the declared record type ``type_name`` that identifies one of a citizen's
    objects (empty when it has none)."""
    spec = _SPECS.get(type_name)
    return "" if spec is None else spec.node_key or ""


def field_annotation(field: CitizenField) -> Any:
    """The return annotation of a declared ``Citizen`` field (nullable: a department that
    cannot answer nulls its own field)."""
    item = DECLARED_TYPES[field.type]
    returns: Any = (list[item] if field.many else item) | None  # type: ignore[valid-type]
    return returns
