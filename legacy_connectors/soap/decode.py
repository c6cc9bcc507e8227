"""Compile a response decoder from the WSDL's types: lxml in, plain dicts out.

The decoder gives exactly what ``zeep.helpers.serialize_object`` gives for the same element
(every declared child as a key, repeated children as lists, absent optional children and
empty complex children as ``None``, Python values from zeep's own type conversions) without
building zeep objects.
Types it cannot mirror exactly (attributes, choices, wildcards, mixed or simple content,
list and union types, recursion) make :func:`compile_element` return ``None``, and the caller
uses zeep. An element that carries attributes at run time (``xsi:type``, ``xsi:nil``) is
handed to zeep alone.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from zeep.xsd import ComplexType, Element
from zeep.xsd.context import XmlParserContext
from zeep.xsd.elements.indicators import All, Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.simple import AnySimpleType

from legacy_connectors.soap.values import to_plain

__all__ = ["Decoder", "compile_element"]

Decoder = Callable[[etree._Element], Any]
"""Turns one element into its plain Python value."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGERS = (builtins.Integer,)


def _text_converter(xsd_type: Any) -> Callable[[str], Any] | None:
    kind = type(xsd_type)
    if kind is builtins.String:
        return None
    if kind is builtins.Decimal:
        return Decimal
    if kind is builtins.Date:
        pythonvalue = xsd_type.pythonvalue

        def to_date(text: str) -> Any:
            if len(text) == 10 and _DATE.fullmatch(text):
                return datetime.date.fromisoformat(text)
            return pythonvalue(text)

        return to_date
    if isinstance(xsd_type, _INTEGERS):
        return int
    converter: Callable[[str], Any] = xsd_type.pythonvalue
    return converter


def _simple(xsd_type: Any) -> Decoder | None:
    if not isinstance(xsd_type, AnySimpleType) or not hasattr(xsd_type, "pythonvalue"):
        return None
    if type(xsd_type).parse_xmlelement is not AnySimpleType.parse_xmlelement:
        return None
    convert = _text_converter(xsd_type)
    if convert is None:
        return _text
    conv = convert

    def decode(el: etree._Element) -> Any:
        text = el.text
        if text is None:
            return None
        try:
            return conv(text)
        except (TypeError, ValueError, ArithmeticError, InvalidOperation):
            return None

    return decode


def _text(el: etree._Element) -> Any:
    return el.text


def _plain_elements(xsd_type: ComplexType) -> list[tuple[str, Element]] | None:
    if xsd_type.attributes or getattr(xsd_type, "_array_type", None) is not None:
        return None
    if getattr(xsd_type, "_mixed", False):
        return None
    container = xsd_type._element
    if container is None:
        return [] if not xsd_type.elements_nested else None
    if not isinstance(container, Sequence | All):
        return None
    items: list[tuple[str, Element]] = []
    for item in container:
        if type(item) is not Element:
            return None
        items.append((item.attr_name, item))
    if [name for name, _ in items] != [name for name, _ in xsd_type.elements]:
        return None
    return items


def compile_element(
    element: Element, schema: Any, _active: frozenset[int] = frozenset()
) -> Decoder | None:
    """A decoder for ``element``'s content, or ``None`` when only zeep can parse it exactly."""
    xsd_type = element.type
    if not isinstance(xsd_type, ComplexType):
        return _simple(xsd_type)
    if id(xsd_type) in _active:
        return None
    items = _plain_elements(xsd_type)
    if items is None:
        return None
    active = _active | {id(xsd_type)}
    by_tag: dict[str, tuple[str, bool, Decoder, Element, bool]] = {}
    by_local: dict[str, tuple[str, bool, Decoder, Element, bool]] = {}
    names: list[str] = []
    lists: list[str] = []
    for name, child in items:
        decoder = compile_element(child, schema, active)
        if decoder is None:
            return None
        many = child.max_occurs != 1
        entry = (name, many, decoder, child, isinstance(child.type, ComplexType))
        by_tag[child.qname.text] = entry
        by_local[etree.QName(child.qname).localname] = entry
        names.append(name)
        if many:
            lists.append(name)
    context = XmlParserContext()  # type: ignore[no-untyped-call]

    def fallback(child: etree._Element, zeep_element: Element) -> Any:
        return to_plain(zeep_element.parse(child, schema, context=context))  # type: ignore[no-untyped-call]

    def decode(el: etree._Element) -> Any:
        out: dict[str, Any] = dict.fromkeys(names)
        for name in lists:
            out[name] = []
        for child in el:
            tag = child.tag
            entry = by_tag.get(tag) if isinstance(tag, str) else None
            if entry is None:
                if not isinstance(tag, str):
                    continue
                entry = by_local.get(etree.QName(tag).localname)
                if entry is None:
                    continue
            name, many, sub, zeep_element, complex_type = entry
            if child.attrib:
                value = fallback(child, zeep_element)
            elif complex_type and not len(child):
                value = None
            else:
                value = sub(child)
            if many:
                out[name].append(value)
            else:
                out[name] = value
        return out

    return decode
