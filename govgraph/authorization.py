"""Field-level authorization of whole operations, before any resolver (and upstream) runs.

Each operation's schema coordinates (``Type.field`` for every field it can select, abstract
types expanded to their object types) are computed once per operation text. Per request, the
principal's policy (:mod:`resolvers.authz`) is checked for each coordinate; only when some are
refused, or when ``node`` is selected, is a middleware installed that answers refused fields
with their error (null plus ``FORBIDDEN``/``UNAUTHENTICATED``) without calling the resolver,
and checks a ``node`` id's field group before the object is fetched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLResolveInfo,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    is_abstract_type,
    visit,
)

from resolvers.authz import analyst_types, check_coordinate, check_group, node_group
from resolvers.errors import ApiError, InvalidId
from resolvers.ids import decode_id

__all__ = ["Coordinate", "OperationGuard", "coordinates"]

Coordinate = tuple[str, str]


class _Collector(Visitor):
    def __init__(self, schema: GraphQLSchema, type_info: TypeInfo) -> None:
        super().__init__()
        self.schema = schema
        self.type_info = type_info
        self.found: set[Coordinate] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is None:
            return
        name = node.name.value
        if is_abstract_type(parent):
            for obj in self.schema.get_possible_types(parent):
                self.found.add((obj.name, name))
        else:
            self.found.add((parent.name, name))


def coordinates(schema: GraphQLSchema, doc: DocumentNode) -> frozenset[Coordinate]:
    """Every ``(object type, field)`` the document can select."""
    type_info = TypeInfo(schema)
    collector = _Collector(schema, type_info)
    visit(doc, TypeInfoVisitor(type_info, collector))
    return frozenset(collector.found)


class _Guard:
    """graphql-core middleware answering refused fields with their error."""

    def __init__(
        self,
        refused: Mapping[Coordinate, ApiError],
        principal: Any,
        overrides: Mapping[str, str],
    ) -> None:
        self.refused = refused
        self.principal = principal
        self.overrides = overrides

    def resolve(
        self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any
    ) -> Any:
        problem = self.refused.get((info.parent_type.name, info.field_name))
        if problem is not None:
            raise type(problem)(problem.message)
        if info.field_name == "node" and info.parent_type.name == "Query":
            self._check_node(args.get("id"))
        return next_(root, info, **args)

    def _check_node(self, global_id: Any) -> None:
        try:
            type_name, _, local = decode_id(global_id)
        except InvalidId:
            return
        group = node_group(type_name, local)
        if group is not None:
            problem = check_group(self.principal, group, self.overrides)
            if problem is not None:
                raise type(problem)(problem.message)


def _standing(principal: Any) -> tuple[Any, ...]:
    """What the policy looks at in a principal (everything else is data-dependent)."""
    if principal is None:
        return (None,)
    return (
        principal.role,
        principal.confidence,
        bool(principal.purpose),
        getattr(principal, "purpose_allowed", False),
    )


class OperationGuard:
    """Plans, per request, which fields the principal may not read."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        confidence_overrides: Mapping[str, str] | None = None,
        cache_size: int = 1000,
    ) -> None:
        self.schema = schema
        self.overrides = dict(confidence_overrides or {})
        self.root_type = schema.query_type.name if schema.query_type else "Query"
        self.root_types = frozenset(
            t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t
        )
        self.analyst_open = analyst_types(schema)
        self._cache: OrderedDict[str, frozenset[Coordinate]] = OrderedDict()
        self._plans: OrderedDict[tuple[Any, ...], tuple[dict[Coordinate, ApiError], bool]] = (
            OrderedDict()
        )
        self._cache_size = cache_size

    def coordinates(self, query: str, doc: DocumentNode) -> frozenset[Coordinate]:
        """The document's coordinates (cached by operation text)."""
        found = self._cache.get(query)
        if found is None:
            found = coordinates(self.schema, doc)
            self._cache[query] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(query)
        return found

    def refused(self, coords: frozenset[Coordinate], principal: Any) -> dict[Coordinate, ApiError]:
        """Each coordinate ``principal`` may not read, with the error to answer it with."""
        out: dict[Coordinate, ApiError] = {}
        for type_name, field in coords:
            problem = check_coordinate(
                principal,
                type_name,
                field,
                root_types=self.root_types,
                overrides=self.overrides,
                analyst_open=self.analyst_open,
            )
            if problem is not None:
                out[(type_name, field)] = problem
        return out

    def plan(self, query: str, doc: DocumentNode, principal: Any) -> list[Any] | None:
        """The middleware to execute the operation with (``None`` when nothing is refused)."""
        key = (query, *_standing(principal))
        planned = self._plans.get(key)
        if planned is None:
            coords = self.coordinates(query, doc)
            planned = (self.refused(coords, principal), (self.root_type, "node") in coords)
            self._plans[key] = planned
            if len(self._plans) > self._cache_size:
                self._plans.popitem(last=False)
        refused, has_node = planned
        if not refused and not has_node:
            return None
        return [_Guard(refused, principal, self.overrides)]
