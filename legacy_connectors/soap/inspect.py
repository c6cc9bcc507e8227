"""Describe a WSDL for an integration engineer: services, ports, operations, their types.

:func:`describe_wsdl` reads the WSDL (blocking; zeep follows its imports) and returns plain
dataclasses; :func:`render_text` lays them out as an indented, readable outline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree
from zeep.xsd import ComplexType, Element
from zeep.xsd.elements.any import Any as AnyElement
from zeep.xsd.elements.indicators import Choice, Group, OrderIndicator

from legacy_connectors.errors import ConfigurationError
from legacy_connectors.soap.decode import compile_element
from legacy_connectors.soap.wsdl import SOAP11_ENV, SOAP12_ENV, load_client

__all__ = [
    "FieldInfo",
    "OperationInfo",
    "PortInfo",
    "ServiceInfo",
    "WsdlDescription",
    "describe_wsdl",
    "render_text",
]

_MAX_DEPTH = 12


@dataclass(slots=True)
class FieldInfo:
    """One element or attribute of a message, with its type and how often it occurs."""

    name: str
    type: str
    occurs: str
    """``1``, ``0..1``, ``0..n``, ``1..100`` and so on; ``@`` for attributes."""
    namespace: str | None = None
    children: list[FieldInfo] = field(default_factory=list)
    note: str | None = None


@dataclass(slots=True)
class OperationInfo:
    """One operation of a port: style, SOAP action, input, headers, output and faults."""

    name: str
    style: str
    soap_action: str | None
    input: list[FieldInfo]
    output: list[FieldInfo]
    input_element: str | None = None
    output_element: str | None = None
    headers: list[FieldInfo] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    fast_reply: bool = False
    """Whether the connector can decode replies with a compiled decoder (else zeep)."""
    problem: str | None = None
    """Set when part of the operation could not be described."""


@dataclass(slots=True)
class PortInfo:
    """One port: its binding kind, address and operations."""

    name: str
    binding: str
    protocol: str
    address: str | None
    operations: list[OperationInfo] = field(default_factory=list)


@dataclass(slots=True)
class ServiceInfo:
    name: str
    ports: list[PortInfo] = field(default_factory=list)


@dataclass(slots=True)
class WsdlDescription:
    """Everything ``govgraph soap inspect`` shows about one WSDL."""

    location: str
    services: list[ServiceInfo]
    namespaces: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_XSD = "http://www.w3.org/2001/XMLSchema"


def _type_name(xsd_type: Any) -> str:
    qname = getattr(xsd_type, "qname", None)
    if qname is not None:
        name = etree.QName(qname)
        base = getattr(type(xsd_type), "_default_qname", None)
        if name.namespace != _XSD and base is not None and not isinstance(xsd_type, ComplexType):
            return f"{name.localname} ({etree.QName(base).localname})"
        return name.localname
    if isinstance(xsd_type, ComplexType):
        return "(anonymous complex type)"
    base = type(xsd_type).__name__
    return f"(anonymous {base})"


def _occurs(min_occurs: Any, max_occurs: Any) -> str:
    low = int(min_occurs or 0)
    high = "n" if max_occurs == "unbounded" else str(max_occurs)
    if high == "1":
        return "1" if low == 1 else "0..1"
    return f"{low}..{high}"


def _fields_of(xsd_type: Any, active: frozenset[int], depth: int) -> list[FieldInfo]:
    if not isinstance(xsd_type, ComplexType):
        return []
    if id(xsd_type) in active or depth > _MAX_DEPTH:
        return [FieldInfo("...", _type_name(xsd_type), "", note="recursive, shown above")]
    active = active | {id(xsd_type)}
    fields: list[FieldInfo] = []
    for name, attr in xsd_type.attributes:
        attr_type = getattr(attr, "type", None)
        type_name = _type_name(attr_type) if attr_type is not None else "any attribute"
        fields.append(FieldInfo(f"@{name}", type_name, "@"))
    for _name, item in xsd_type.elements_nested:
        fields.extend(_particle(item, active, depth))
    return fields


def _particle(item: Any, active: frozenset[int], depth: int) -> list[FieldInfo]:
    if isinstance(item, Element):
        return [_element(item, active, depth)]
    if isinstance(item, AnyElement):
        return [FieldInfo("(any element)", "any", _occurs(item.min_occurs, item.max_occurs))]
    if isinstance(item, Choice):
        options = [f for sub in item for f in _particle(sub, active, depth + 1)]
        occurs = _occurs(item.min_occurs, item.max_occurs)
        return [FieldInfo("(choice of)", "choice", occurs, children=options)]
    if isinstance(item, Group):
        return _particle(item.child, active, depth)
    if isinstance(item, OrderIndicator):
        return [f for sub in item for f in _particle(sub, active, depth)]
    return [FieldInfo(type(item).__name__, "?", "?")]


def _element(element: Element, active: frozenset[int], depth: int) -> FieldInfo:
    qname = etree.QName(element.qname)
    info = FieldInfo(
        element.attr_name or qname.localname,
        _type_name(element.type),
        _occurs(element.min_occurs, element.max_occurs),
        qname.namespace,
        _fields_of(element.type, active, depth + 1),
    )
    if getattr(element, "nillable", False):
        info.note = "nillable"
    return info


def _message(message: Any) -> tuple[list[FieldInfo], str | None]:
    body = getattr(message, "body", None)
    if body is None:
        return [], None
    qname = etree.QName(body.qname)
    return _fields_of(body.type, frozenset(), 0), qname.text


def _headers(message: Any) -> list[FieldInfo]:
    header = getattr(message, "header", None)
    if header is None:
        return []
    return _fields_of(header.type, frozenset(), 0)


def _operation(operation: Any, schema: Any) -> OperationInfo:
    inputs, input_element = _message(operation.input)
    outputs, output_element = _message(operation.output)
    body = getattr(operation.output, "body", None)
    fast = False
    if body is not None and etree.QName(body.qname).localname != "Body":
        fast = compile_element(body, schema) is not None
    return OperationInfo(
        name=operation.name,
        style=getattr(operation, "style", None) or "document",
        soap_action=getattr(operation, "soapaction", None) or None,
        input=inputs,
        output=outputs,
        input_element=input_element,
        output_element=output_element,
        headers=_headers(operation.input),
        faults=sorted(getattr(operation, "faults", {}) or {}),
        fast_reply=fast,
    )


def _safe_operation(operation: Any, schema: Any) -> OperationInfo:
    try:
        return _operation(operation, schema)
    except Exception as exc:  # a describing tool reports what it cannot read, never stops
        return OperationInfo(
            name=operation.name,
            style=getattr(operation, "style", None) or "document",
            soap_action=getattr(operation, "soapaction", None) or None,
            input=[],
            output=[],
            problem=f"could not be described ({type(exc).__name__}: {exc})",
        )


def _protocol(binding: Any) -> str:
    envelope = getattr(binding, "nsmap", {}).get("soap-env")
    if envelope == SOAP11_ENV:
        return "SOAP 1.1"
    if envelope == SOAP12_ENV:
        return "SOAP 1.2"
    return f"{type(binding).__name__} (not SOAP: the soap connector cannot call it)"


def describe_wsdl(location: str, *, timeout_s: float = 30.0) -> WsdlDescription:
    """Read the WSDL at ``location`` and describe it (blocking: run off the event loop)."""
    client = load_client(location, timeout_s=timeout_s)
    schema = client.wsdl.types
    services: list[ServiceInfo] = []
    for service in client.wsdl.services.values():
        info = ServiceInfo(service.name)
        for port in service.ports.values():
            binding = port.binding
            protocol = _protocol(binding)
            port_info = PortInfo(
                port.name,
                etree.QName(binding.name).localname,
                protocol,
                (port.binding_options or {}).get("address"),
            )
            if protocol.startswith("SOAP"):
                for name in sorted(binding._operations):
                    port_info.operations.append(_safe_operation(binding._operations[name], schema))
            info.ports.append(port_info)
        services.append(info)
    if not services:
        services = _without_service(client, schema, location)
    namespaces = {prefix: ns for prefix, ns in sorted(schema.prefix_map.items())}
    return WsdlDescription(location, services, namespaces)


def _without_service(client: Any, schema: Any, location: str) -> list[ServiceInfo]:
    """Bindings, else port types, of a WSDL that has no ``service`` element."""
    document = client.wsdl
    if document.bindings:
        info = ServiceInfo("(no service element; its bindings)")
        for binding in document.bindings.values():
            port = PortInfo(
                etree.QName(binding.name).localname,
                etree.QName(binding.name).localname,
                _protocol(binding),
                None,
            )
            if port.protocol.startswith("SOAP"):
                port.operations = [
                    _safe_operation(binding._operations[name], schema)
                    for name in sorted(binding._operations)
                ]
            info.ports.append(port)
        return [info]
    if document.port_types:
        info = ServiceInfo("(no service or binding; abstract port types only)")
        for port_type in document.port_types.values():
            port = PortInfo(etree.QName(port_type.name).localname, "-", "abstract", None)
            for name in sorted(port_type.operations):
                abstract = port_type.operations[name]
                port.operations.append(
                    OperationInfo(
                        name=name,
                        style="abstract",
                        soap_action=None,
                        input=_parts(abstract.input_message),
                        output=_parts(abstract.output_message),
                        faults=sorted(abstract.fault_messages or {}),
                    )
                )
            info.ports.append(port)
        return [info]
    root = etree.QName(client.wsdl._get_xml_document(location)).namespace
    if root == "http://www.w3.org/ns/wsdl":
        raise ConfigurationError(
            f"wsdl {location!r} is WSDL 2.0, which cannot be read (WSDL 1.1 is supported)"
        )
    return []


def _parts(message: Any) -> list[FieldInfo]:
    fields: list[FieldInfo] = []
    for name, part in (getattr(message, "parts", None) or {}).items():
        if part.element is not None:
            fields.append(_element(part.element, frozenset(), 0))
        else:
            fields.append(
                FieldInfo(
                    name, _type_name(part.type), "1", None, _fields_of(part.type, frozenset(), 1)
                )
            )
    return fields


def _field_lines(fields: list[FieldInfo], indent: int, out: list[str]) -> None:
    pad = "  " * indent
    for f in fields:
        occurs = "" if f.occurs in ("1", "@") else f" [{f.occurs}]"
        note = f"  ({f.note})" if f.note else ""
        out.append(f"{pad}{f.name}: {f.type}{occurs}{note}")
        _field_lines(f.children, indent + 1, out)


def render_text(description: WsdlDescription) -> str:
    """An indented outline of services, ports, operations and their message types."""
    out = [f"WSDL {description.location}"]
    if not description.services:
        out.append("(no services, bindings or port types found)")
    if description.namespaces:
        out.append("Namespaces:")
        out.extend(f"  {prefix}: {ns}" for prefix, ns in description.namespaces.items())
    for service in description.services:
        out.append(f"Service {service.name}")
        for port in service.ports:
            out.append(f"  Port {port.name}: {port.protocol}, binding {port.binding}")
            out.append(f"    address: {port.address or '(none)'}")
            for op in port.operations:
                out.append(f"    Operation {op.name} ({op.style})")
                if op.problem:
                    out.append(f"      {op.problem}")
                    continue
                if op.soap_action:
                    out.append(f"      soapAction: {op.soap_action}")
                out.append(f"      input {op.input_element or ''}:".replace(" :", ":"))
                _field_lines(op.input, 4, out)
                if op.headers:
                    out.append("      SOAP headers:")
                    _field_lines(op.headers, 4, out)
                out.append(f"      output {op.output_element or ''}:".replace(" :", ":"))
                _field_lines(op.output, 4, out)
                if op.faults:
                    out.append(f"      faults: {', '.join(op.faults)}")
                if op.style != "abstract":
                    decoder = "compiled" if op.fast_reply else "zeep"
                    out.append(f"      reply decoding: {decoder}")
    return "\n".join(out) + "\n"
