"""The ``Decimal`` scalar: amounts as decimal strings, in and out, read with one strict grammar.

Output is unchanged: ``str(value)`` of the exact amount (``"35.00"``). As input, the same
scalar (so a client may reuse the output type for its variables) takes exactly what a person
types as pounds and pence: ASCII digits (at most nine), optionally a point and one or two
decimals; no sign, exponent, spaces or other digits. Anything else is read as a
:class:`MalformedAmount`, never as a number, so it can reach no arithmetic; the resolver that
takes the argument refuses it with ``INVALID_AMOUNT`` naming the argument, alongside any other
invalid field of the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql import FloatValueNode, GraphQLError, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

__all__ = ["AMOUNT_HELP", "DecimalScalar", "MalformedAmount", "parse_amount"]

_AMOUNT = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
AMOUNT_HELP = (
    "pounds and pence as typed, e.g. `35` or `35.00`: ASCII digits, optionally a point and "
    "one or two decimals; no sign, exponent or spaces"
)


@dataclass(frozen=True, slots=True)
class MalformedAmount:
    """An amount argument that is not in the money grammar (refused as ``INVALID_AMOUNT``)."""


def parse_amount(value: object) -> Decimal | MalformedAmount:
    """``value`` (a variable's JSON value or a literal's text) as an exact amount, or
    :class:`MalformedAmount`. Only text in the grammar reaches ``Decimal``; JSON integers are
    read as their digits, JSON floats (whose written form is lost) are malformed."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or _AMOUNT.fullmatch(value) is None:
        return MalformedAmount()
    return Decimal(value)


def _parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> object:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return parse_amount(node.value)
    raise GraphQLError(f"Decimal: expected {AMOUNT_HELP}", node)


DecimalScalar = ScalarDefinition(
    name="Decimal",
    description=(
        "An exact decimal amount, as a string (e.g. `35.00`). As an argument it takes "
        f"{AMOUNT_HELP}."
    ),
    specified_by_url=None,
    serialize=str,
    parse_value=parse_amount,
    parse_literal=_parse_literal,
    origin=Decimal,
)
"""Replaces strawberry's built-in ``Decimal`` (``scalar_overrides``), same name and output."""
