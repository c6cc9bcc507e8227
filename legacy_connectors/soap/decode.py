"""Compile a response decoder from the WSDL's types: lxml in, plain dicts out.

The decoder gives exactly what ``zeep.helpers.serialize_object`` gives for the same element
(every declared child as a key, repeated children as lists, absent optional children and
empty complex children as ``None``, Python values from zeep's own type conversions) without
building zeep objects.
Like zeep's strict mode, an element the type does not declare is an error (``ValueError``),
except that a namespace missing on either side is tolerated, as zeep does; comments are
skipped (zeep 4.3 fails on them). Types it cannot
mirror exactly (attributes, choices, wildcards, mixed or simple content,
list and union types, recursion) make :func:`compile_element` return ``None``, and the caller
uses zeep. An element that carries attributes at run time (``xsi:type``, ``xsi:nil``) is
handed to zeep alone.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from zeep.xsd import ComplexType, Element
from zeep.xsd.context import XmlParserContext
from zeep.xsd.elements.indicators import All, Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.simple import AnySimpleType

from legacy_connectors.soap.values import to_plain

__all__ = [
    "XSI_MARKER",
    "Decoder",
    "Keep",
    "Unprojectable",
    "compile_element",
    "compile_projection",
    "keep_tree",
    "needs_strict",
    "project",
]

Decoder = Callable[[etree._Element, bool], Any]
"""Turns one element into its plain Python value (see :func:`compile_element`)."""


def _date(pythonvalue: Callable[[str], Any]) -> Callable[[str], Any]:
    def to_date(text: str) -> Any:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return datetime.date.fromisoformat(text)
        return pythonvalue(text)

    return to_date


def _converter(xsd_type: Any) -> Callable[[str], Any] | None:
    """How to turn element text into zeep's Python value; ``None`` means the text as is."""
    pythonvalue = type(xsd_type).pythonvalue
    if pythonvalue is builtins.String.pythonvalue:
        return None
    if pythonvalue is builtins.Decimal.pythonvalue:
        return Decimal
    if pythonvalue is builtins.Date.pythonvalue:
        return _date(xsd_type.pythonvalue)
    if pythonvalue is builtins.Integer.pythonvalue:
        return int
    converter: Callable[[str], Any] = xsd_type.pythonvalue
    return converter


def _simple_type_ok(xsd_type: Any) -> bool:
    return (
        isinstance(xsd_type, AnySimpleType)
        and hasattr(xsd_type, "pythonvalue")
        and type(xsd_type).parse_xmlelement is AnySimpleType.parse_xmlelement
    )


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


_CONVERSION_ERRORS = (TypeError, ValueError, ArithmeticError, InvalidOperation)
XSI_MARKER = b"http://www.w3.org/2001/XMLSchema-instance"
_XSI_PREFIX = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']" + re.escape(XSI_MARKER))


def needs_strict(body: bytes) -> bool:
    """Whether a reply may carry ``xsi:type`` or ``xsi:nil`` attributes (decode strictly).

    Many services declare the XML Schema instance namespace on every envelope without using
    it; only a prefix bound to it followed by ``:type`` or ``:nil`` makes a reply strict.
    """
    if XSI_MARKER not in body:
        return False
    prefixes = set(_XSI_PREFIX.findall(body))
    if not prefixes:
        return True
    return any(p + b":nil" in body or p + b":type" in body for p in prefixes)


_Simple = Callable[[etree._Element], Any]
_TEXT, _CONVERT, _NESTED = 0, 1, 2


@dataclass(slots=True)
class _Field:
    name: str
    many: bool
    element: Element
    convert: Callable[[str], Any] | None = None
    lean: _Simple | None = None
    strict: _Simple | None = None


def _convert(convert: Callable[[str], Any] | None, text: str | None) -> Any:
    if text is None or convert is None:
        return text
    try:
        return convert(text)
    except _CONVERSION_ERRORS:
        return None


def compile_element(element: Element, schema: Any) -> Decoder | None:
    """A decoder for ``element``'s content, or ``None`` when only zeep can parse it exactly.

    The decoder takes the element and ``strict``: whether elements may carry ``xsi``
    attributes (then each is checked and such elements are handed to zeep).
    """
    xsd_type = element.type
    if not isinstance(xsd_type, ComplexType):
        if not _simple_type_ok(xsd_type):
            return None
        simple = _converter(xsd_type)

        def decode_simple(el: etree._Element, strict: bool = True) -> Any:
            return _convert(simple, el.text)

        return decode_simple
    pair = _compile_complex(xsd_type, schema, frozenset())
    if pair is None:
        return None
    lean, strict_decode = pair

    def decode(el: etree._Element, strict: bool = True) -> Any:
        return strict_decode(el) if strict else lean(el)

    return decode


def _compile_complex(
    xsd_type: ComplexType, schema: Any, active: frozenset[int]
) -> tuple[_Simple, _Simple] | None:
    if id(xsd_type) in active:
        return None
    items = _plain_elements(xsd_type)
    if items is None:
        return None
    active = active | {id(xsd_type)}
    fields: dict[Any, _Field] = {}
    by_local: dict[str, _Field] = {}
    for name, child in items:
        field = _Field(name, child.max_occurs != 1, child)
        if isinstance(child.type, ComplexType):
            pair = _compile_complex(child.type, schema, active)
            if pair is None:
                return None
            field.lean, field.strict = pair
        elif _simple_type_ok(child.type):
            field.convert = _converter(child.type)
        else:
            return None
        fields[child.qname.text] = field
        by_local[etree.QName(child.qname).localname] = field
    template: dict[str, Any] = dict.fromkeys(name for name, _ in items)
    lists = [f.name for f in fields.values() if f.many]
    specs: dict[Any, tuple[int, str, Any, bool]] = {
        tag: (
            _NESTED if f.lean else _CONVERT if f.convert else _TEXT,
            f.name,
            f.lean or f.convert,
            f.many,
        )
        for tag, f in fields.items()
    }
    context = XmlParserContext()  # type: ignore[no-untyped-call]

    def by_zeep(child: etree._Element, field: _Field) -> Any:
        return to_plain(field.element.parse(child, schema, context=context))  # type: ignore[no-untyped-call]

    def find(child: etree._Element) -> _Field | None:
        tag = child.tag
        field = fields.get(tag)
        if field is not None or not isinstance(tag, str):
            return field
        qname = etree.QName(tag)
        field = by_local.get(qname.localname)
        if field is None or (qname.namespace and etree.QName(field.element.qname).namespace):
            raise ValueError(f"unexpected element {tag} in {xsd_type.name or 'a record'}")
        return field

    def store(out: dict[str, Any], field: _Field, value: Any) -> None:
        if field.many:
            out[field.name].append(value)
        else:
            out[field.name] = value

    def strict(el: etree._Element) -> Any:
        out = template.copy()
        for name in lists:
            out[name] = []
        for child in el:
            field = find(child)
            if field is None:
                continue
            if child.attrib:
                value = by_zeep(child, field)
            elif field.strict is not None:
                value = field.strict(child) if len(child) else None
            else:
                value = _convert(field.convert, child.text)
            store(out, field, value)
        return out

    def lean_generic(el: etree._Element) -> Any:
        out = template.copy()
        for name in lists:
            out[name] = []
        for child in el:
            spec = specs.get(child.tag)
            if spec is None:
                field = find(child)
                if field is None:
                    continue
                spec = specs[field.element.qname.text]
            kind, name, payload, many = spec
            if kind == _TEXT:
                value = child.text
            elif kind == _CONVERT:
                value = child.text
                if value is not None:
                    try:
                        value = payload(value)
                    except _CONVERSION_ERRORS:
                        value = None
            elif len(child):
                value = payload(child)
            else:
                value = by_zeep(child, fields[child.tag]) if child.attrib else None
            if many:
                out[name].append(value)
            else:
                out[name] = value
        return out

    zeep_parsers = {tag: functools.partial(by_zeep, field=f) for tag, f in fields.items()}
    return (
        _generate(fields, zeep_parsers, lean_generic, strict=False),
        _generate(fields, zeep_parsers, strict, strict=True),
    )


def _generate(
    fields: dict[Any, _Field],
    zeep_parsers: Mapping[Any, _Simple],
    generic: _Simple,
    *,
    strict: bool,
) -> _Simple:
    """Straight-line Python for one complex type: children matched in schema order, values
    kept in locals, the record built as one dict display. Any child it does not expect
    (another namespace, a comment) hands the whole element to ``generic``. The ``strict``
    variant hands children with attributes (``xsi:nil``, ``xsi:type``) to zeep."""
    namespace: dict[str, Any] = {"_ERRORS": _CONVERSION_ERRORS, "_generic": generic}
    entries = list(fields.items())
    lines = ["def decode(el):"]
    singles = [f"v{i}" for i, (_, f) in enumerate(entries) if not f.many]
    if singles:
        lines.append("    " + " = ".join(singles) + " = None")
    lines += [f"    v{i} = []" for i, (_, f) in enumerate(entries) if f.many]
    lines += ["    for c in el:", "        t = c.tag"]
    for i, (tag, f) in enumerate(entries):
        namespace[f"T{i}"] = tag
        lines.append(f"        {'if' if i == 0 else 'elif'} t == T{i}:")
        namespace[f"Z{i}"] = zeep_parsers[tag]
        body: list[str] = []
        if f.lean is not None:
            namespace[f"S{i}"] = f.strict if strict else f.lean
            body.append(f"x = S{i}(c) if len(c) else (Z{i}(c) if c.attrib else None)")
        else:
            body.append("x = c.text")
            if f.convert is not None:
                namespace[f"C{i}"] = f.convert
                body += [
                    "if x is not None:",
                    "    try:",
                    f"        x = C{i}(x)",
                    "    except _ERRORS:",
                    "        x = None",
                ]
        if strict:
            body = ["if c.attrib:", f"    x = Z{i}(c)", "else:"] + ["    " + b for b in body]
        lines += ["            " + b for b in body]
        lines.append(f"            v{i}.append(x)" if f.many else f"            v{i} = x")
    if entries:
        lines += ["        else:", "            return _generic(el)"]
    else:
        lines.append("        pass")
    record = ", ".join(f"{f.name!r}: v{i}" for i, (_, f) in enumerate(entries))
    lines.append(f"    return {{{record}}}")
    exec(compile("\n".join(lines), "<soap-decoder>", "exec"), namespace)
    decode: _Simple = namespace["decode"]
    return decode


class Unprojectable(Exception):
    """A reply a projection cannot read exactly (an element it does not expect, or one with
    attributes): the caller decodes it in full and projects the result (:func:`project`)."""


Keep = Mapping[str, "Keep | None"]
"""What a projection keeps of a complex value: each child's name, with what it keeps of that
child (``None``: all of it)."""


def keep_tree(paths: Iterable[str]) -> dict[str, Any]:
    """The :data:`Keep` tree of dotted ``paths`` (a path that is a prefix of another keeps all
    of its value)."""
    tree: dict[str, Any] = {}
    for path in sorted(set(paths), key=lambda p: p.count(".")):
        node: dict[str, Any] | None = tree
        parts = path.split(".")
        for part in parts[:-1]:
            assert node is not None
            if part in node and node[part] is None:
                node = None
                break
            node = node.setdefault(part, {})
        if node is not None:
            node[parts[-1]] = None
    return tree


def project(value: Any, keep: Keep | None) -> Any:
    """``value`` (as a full decode gives it) with only what ``keep`` keeps: a list item by
    item, ``None`` as is, a dict with each kept key it has."""
    if keep is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, keep) for item in value]
    if not isinstance(value, Mapping):
        return value
    return {name: project(value[name], sub) for name, sub in keep.items() if name in value}


def compile_projection(element: Element, schema: Any, keep: Keep) -> _Simple | None:
    """A decoder of ``element``'s content that builds only what ``keep`` keeps (other children
    are skipped, not decoded): it gives what :func:`project` gives of the full decode, or
    raises :class:`Unprojectable`. ``None`` when ``keep`` goes below a simple value or the
    type is one only zeep reads; a ``LookupError`` when ``keep`` names a child the type does
    not declare."""
    if not isinstance(element.type, ComplexType):
        return None
    return _compile_projection(element.type, schema, keep)


def _compile_projection(xsd_type: ComplexType, schema: Any, keep: Keep) -> _Simple | None:
    items = _plain_elements(xsd_type)
    if items is None:
        return None
    declared = {child.qname.text: (name, child) for name, child in items}
    by_name = {name: child for name, child in items}
    kept: dict[str, tuple[str, bool, int, Any]] = {}
    for name, sub in keep.items():
        child = by_name.get(name)
        if child is None:
            raise LookupError(f"{xsd_type.name or 'the reply'} has no element {name!r}")
        many = child.max_occurs != 1
        if isinstance(child.type, ComplexType):
            if sub is None:
                pair = _compile_complex(child.type, schema, frozenset())
                if pair is None:
                    return None
                reader: Any = pair[0]
            else:
                reader = _compile_projection(child.type, schema, sub)
                if reader is None:
                    return None
            kept[child.qname.text] = (name, many, _NESTED, reader)
        elif sub is None and _simple_type_ok(child.type):
            convert = _converter(child.type)
            kept[child.qname.text] = (name, many, _CONVERT if convert else _TEXT, convert)
        else:
            return None
    return _generate_projection(xsd_type.name or "a record", kept, set(declared) - set(kept))


def _generate_projection(
    where: str, kept: dict[str, tuple[str, bool, int, Any]], skipped: set[str]
) -> _Simple:
    """Straight-line Python for one projected type: kept children matched by tag, declared
    others skipped undecoded, anything else (or attributes on a kept child) Unprojectable."""
    namespace: dict[str, Any] = {
        "_ERRORS": _CONVERSION_ERRORS,
        "_Unprojectable": Unprojectable,
        "_SKIPPED": frozenset(skipped),
        "_WHERE": where,
    }
    entries = list(kept.items())
    lines = ["def decode(el):"]
    for i, (_, (_, many, _, _)) in enumerate(entries):
        lines.append(f"    v{i} = []" if many else f"    v{i} = None")
    lines += ["    for c in el:", "        t = c.tag"]
    for i, (tag, (_, many, kind, reader)) in enumerate(entries):
        namespace[f"T{i}"] = tag
        namespace[f"R{i}"] = reader
        lines.append(f"        {'if' if i == 0 else 'elif'} t == T{i}:")
        body = ["if c.attrib:", "    raise _Unprojectable(f'attributes on {t!r}')"]
        if kind == _NESTED:
            body.append(f"x = R{i}(c) if len(c) else None")
        else:
            body.append("x = c.text")
            if kind == _CONVERT:
                body += [
                    "if x is not None:",
                    "    try:",
                    f"        x = R{i}(x)",
                    "    except _ERRORS:",
                    "        x = None",
                ]
        body.append(f"v{i}.append(x)" if many else f"v{i} = x")
        lines += ["            " + b for b in body]
    lines += [
        f"        {'elif' if entries else 'if'} t not in _SKIPPED:",
        "            raise _Unprojectable(f'element {t!r} in {_WHERE}')",
    ]
    record = ", ".join(f"{name!r}: v{i}" for i, (_, (name, _, _, _)) in enumerate(entries))
    lines.append(f"    return {{{record}}}")
    exec(compile("\n".join(lines), "<soap-projection>", "exec"), namespace)
    decode: _Simple = namespace["decode"]
    return decode
