"""What a SOAP source's write command can hold, read from the WSDL's XML Schema.

zeep reads the request's structure (which element each request path is, ``minOccurs`` and
``maxOccurs``) but drops simple types' facets, so the schema documents zeep loaded are read
again with ``xmlschema`` for ``maxLength`` and ``pattern``. Every text value is also bounded by
what XML 1.0 can carry at all.
"""

from __future__ import annotations

from typing import Any

import xmlschema

from legacy_connectors.limits import XML_CHARSET, FieldLimit
from legacy_connectors.soap.commands import SoapCommand
from legacy_connectors.soap.wsdl import LoadedPort

__all__ = ["command_limits"]


def _simple_types(client: Any) -> dict[str, Any]:
    """Named simple types with their facets, from every XSD document the WSDL loaded."""
    found: dict[str, Any] = {}
    for document in client.wsdl.types.documents:
        location = getattr(document, "_location", None)
        if not location or not str(location).endswith(".xsd"):
            continue
        try:
            schema = xmlschema.XMLSchema(location)
        except (xmlschema.XMLSchemaException, OSError):
            continue
        for name, kind in schema.maps.types.items():
            if getattr(kind, "is_simple", lambda: False)():
                found.setdefault(name, kind)
    return found


def _child(element: Any, name: str) -> Any:
    elements = getattr(getattr(element, "type", None), "elements", None) or []
    return next((child for child_name, child in elements if child_name == name), None)


def command_limits(
    port: LoadedPort, spec: SoapCommand, setting: str, service: str
) -> list[FieldLimit]:
    """One limit per payload field the command sends: XML's characters, the element's
    ``maxLength`` and ``pattern`` facets, ``minOccurs`` (required) and ``maxOccurs`` (items)."""
    operation = port.operation(spec.operation, setting, service)
    body = operation.input.body
    facets = _simple_types(port.client)
    limits: list[FieldLimit] = []
    for path, field in spec.fields.items():
        element, required = body, True
        for part in path.split("."):
            element = _child(element, part)
            if element is None:
                break
            required = required and (element.min_occurs or 0) >= 1
        if element is None:
            continue
        qname = getattr(element.type, "qname", None)
        kind = facets.get(str(qname)) if qname is not None else None
        max_length = getattr(kind, "max_length", None) if kind is not None else None
        patterns = getattr(kind, "patterns", None) if kind is not None else None
        pattern = patterns.patterns[0].pattern if patterns and patterns.patterns else None
        many = element.max_occurs
        limits.append(
            FieldLimit(
                path=field,
                max_length=max_length,
                charset=XML_CHARSET,
                pattern=pattern,
                max_items=many if isinstance(many, int) and many > 1 else None,
                required=required,
                origin=f"{spec.operation} {path} ({qname.localname if qname else 'string'})",
            )
        )
    return limits
