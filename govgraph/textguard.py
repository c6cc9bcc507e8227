"""Text no department can hold is refused where it enters the API, before anything runs.

Every string of a request (each variable value, however deeply nested, and each string
literal in the operation) is checked for characters that are not text: control characters
(C0 and C1, except tab, line feed and carriage return), surrogates, unassigned code points and
noncharacters (U+FFFE, U+FDD0 ...), private-use characters and the bidirectional formatting
controls that can make text display other than it reads (U+202A-U+202E, U+2066-U+2069,
U+200E, U+200F, U+061C). A request holding one gets one ``INVALID_TEXT`` error per offending
value, naming where it is (``extensions.field``) and the code point, and nothing executes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
)

__all__ = ["INVALID_TEXT", "TextLiteralsRule", "bad_character", "variable_errors"]

INVALID_TEXT = "INVALID_TEXT"
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co"})


def bad_character(text: str) -> str | None:
    """The first character of ``text`` that is not acceptable text, or ``None``."""
    if text.isascii() and text.isprintable():
        return None
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        if char in _BIDI or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return char
    return None


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _refusal(where: str, char: str, node: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"{where}: contains {_describe(char)}, which is not text any department can hold",
        node,
        extensions={"code": INVALID_TEXT, "field": where},
    )


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        char = bad_character(value)
        if char is not None:
            yield where, char
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(str(key), f"{where} (a key)")
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for number, item in enumerate(value):
            yield from _walk(item, f"{where}.{number}")


class TextLiteralsRule(ValidationRule):
    """Validation rule: an argument literal holding a character that is not text is an error
    (checked once per operation text, with the rest of validation)."""

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        for where, char in _literal(node.value, node.name.value):
            self.report_error(_refusal(where, char, node))


def _literal(node: ValueNode, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, StringValueNode):
        char = bad_character(node.value)
        if char is not None:
            yield where, char
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _literal(field.value, f"{where}.{field.name.value}")
    elif isinstance(node, ListValueNode):
        for number, item in enumerate(node.values):
            yield from _literal(item, f"{where}.{number}")


def variable_errors(variables: Mapping[str, Any] | None) -> list[GraphQLError]:
    """One ``INVALID_TEXT`` error per variable value (or key) that is not text."""
    if not variables:
        return []
    return [_refusal(f"${where[1:]}", char) for where, char in _walk(dict(variables), "")]
