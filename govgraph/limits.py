"""Operation limits, as graphql-core validation rules: depth, aliases, cost, introspection.

They run once per distinct operation text (validated documents are cached), before anything
executes. The cost estimate is an upper bound of the work: each object field costs 1 per item
it may return (its ``first`` or ``last`` argument, the maximum page size when it comes from a
variable, a connection's default page size when it has neither, or
``gateway.list_size_estimate`` for other lists; a connection's page size counts for the list
inside it), and a field that reads legacy sources adds those sources' weights
(``gateway.cost_weights``) once, since loaders call each source once per level for the batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    InlineFragmentNode,
    IntValueNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_list_type,
)
from graphql.type.definition import GraphQLNonNull

from resolvers.authz import CITIZEN_FIELD_GROUPS, GROUPS, NODE_TYPE_GROUPS
from resolvers.connections import DEFAULT_PAGE_SIZE

__all__ = ["OperationLimits", "Shape", "limit_rules", "measure", "source_weights"]

_INTROSPECTION = frozenset({"__schema", "__type"})
_PAGE_ARGUMENTS = frozenset({"first", "last"})


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The limits one operation must respect."""

    max_depth: int
    max_aliases: int
    max_cost: int
    weights: Mapping[tuple[str, str], int]
    """Extra cost of a field that reads sources, by ``(type, field)``."""
    list_size: int
    max_page_size: int


@dataclass(slots=True)
class Shape:
    """What one operation asks for."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0


def source_weights(
    weights: Mapping[str, int], query_type: str = "Query"
) -> dict[tuple[str, str], int]:
    """The extra cost of each field that reads sources, from each source's weight."""
    out: dict[tuple[str, str], int] = {}
    for field, groups in CITIZEN_FIELD_GROUPS.items():
        sources = {s for g in groups for s in GROUPS[g].sources}
        if sources:
            out[("Citizen", field)] = sum(weights.get(s, 1) for s in sources)
    node_costs = [
        sum(weights.get(s, 1) for s in GROUPS[g].sources)
        for g in NODE_TYPE_GROUPS.values()
        if g is not None
    ]
    out[(query_type, "node")] = max(node_costs, default=1)
    return out


def _first(node: FieldNode, definition: Any, max_page: int) -> int | None:
    """The page size a field asks for: its ``first`` or ``last`` (the maximum page size when
    from a variable), a connection's default page size when it gives neither, else ``None``."""
    for arg in node.arguments or ():
        if arg.name.value in _PAGE_ARGUMENTS:
            if isinstance(arg.value, IntValueNode):
                return max(0, int(arg.value.value))
            return max_page
    if set(getattr(definition, "args", None) or ()) >= _PAGE_ARGUMENTS:
        return DEFAULT_PAGE_SIZE
    return None


class _Measure:
    def __init__(self, context: ValidationContext, limits: OperationLimits) -> None:
        self.context = context
        self.limits = limits
        self.shape = Shape()
        self.upstream = 0

    def selections(
        self,
        sel: SelectionSetNode,
        parent: GraphQLNamedType,
        depth: int,
        seen: frozenset[str],
        page: int | None = None,
    ) -> int:
        cost = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                cost += self.field(node, parent, depth, seen, page)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition
                target = self.context.schema.get_type(cond.name.value) if cond else parent
                cost += self.selections(node.selection_set, target or parent, depth, seen, page)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue
                target = self.context.schema.get_type(fragment.type_condition.name.value)
                cost += self.selections(
                    fragment.selection_set, target or parent, depth, seen | {name}, page
                )
        return cost

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        depth: int,
        seen: frozenset[str],
        page: int | None = None,
    ) -> int:
        name = node.name.value
        if name in _INTROSPECTION:
            return 0
        if node.alias is not None:
            self.shape.aliases += 1
        self.shape.depth = max(self.shape.depth, depth)
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if isinstance(fields, dict) else None
        if definition is None or node.selection_set is None:
            return 0
        # A source is called once per field per level for the whole batch, so its weight is
        # counted once per occurrence; resolving objects costs 1 per object per item.
        self.upstream += self.limits.weights.get((parent.name, name), 0)
        ftype = definition.type
        unwrapped = ftype.of_type if isinstance(ftype, GraphQLNonNull) else ftype
        first = _first(node, definition, self.limits.max_page_size)
        child = get_named_type(ftype)
        if is_list_type(unwrapped):
            count = first if first is not None else (page or self.limits.list_size)
            inner = self.selections(node.selection_set, child, depth + 1, seen)
            return 1 + count * inner
        # A connection object: its page size applies to the list inside it (``edges``).
        inner = self.selections(node.selection_set, child, depth + 1, seen, first)
        return 1 + inner


def measure(
    context: ValidationContext, operation: OperationDefinitionNode, limits: OperationLimits
) -> Shape:
    """Depth, aliases and estimated cost of ``operation``."""
    root = context.schema.get_root_type(operation.operation)
    m = _Measure(context, limits)
    if root is not None:
        m.shape.cost = m.selections(operation.selection_set, root, 1, frozenset()) + m.upstream
    return m.shape


def _error(message: str, node: Any, code: str, limit: int, found: int) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code, "limit": limit, "found": found})


def limit_rules(
    limits: OperationLimits, *, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """Validation rules enforcing ``limits`` (and refusing introspection when it is off)."""

    class OperationLimitsRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            shape = measure(self.context, node, limits)
            if shape.depth > limits.max_depth:
                self.report_error(
                    _error(
                        f"the operation is {shape.depth} levels deep; at most "
                        f"{limits.max_depth} are allowed",
                        node,
                        "OPERATION_TOO_DEEP",
                        limits.max_depth,
                        shape.depth,
                    )
                )
            if shape.aliases > limits.max_aliases:
                self.report_error(
                    _error(
                        f"the operation uses {shape.aliases} aliases; at most "
                        f"{limits.max_aliases} are allowed",
                        node,
                        "TOO_MANY_ALIASES",
                        limits.max_aliases,
                        shape.aliases,
                    )
                )
            if shape.cost > limits.max_cost:
                self.report_error(
                    _error(
                        f"the operation's estimated cost is {shape.cost}; at most "
                        f"{limits.max_cost} is allowed",
                        node,
                        "OPERATION_TOO_COSTLY",
                        limits.max_cost,
                        shape.cost,
                    )
                )

    rules: list[type[ASTValidationRule]] = [OperationLimitsRule]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
