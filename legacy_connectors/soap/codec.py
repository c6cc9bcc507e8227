"""Build request envelopes and read reply envelopes for one configured operation.

Two ways each: zeep's full path (any shape the WSDL describes) and a compiled fast path (an
envelope template with the keys spliced in; a decoder compiled from the reply's type). Both
give the same bytes on the wire modulo the security header, and the same plain dicts back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from zeep.loader import parse_xml
from zeep.wsse.username import UsernameToken

from legacy_connectors.soap.credentials import Credentials
from legacy_connectors.soap.decode import (
    Decoder,
    Unprojectable,
    compile_element,
    compile_projection,
    keep_tree,
    needs_strict,
    project,
)
from legacy_connectors.soap.faults import SoapFault, find_fault, read_fault
from legacy_connectors.soap.values import merge_path, to_plain
from legacy_connectors.soap.wsdl import LoadedPort

__all__ = ["OperationCodec", "build_codec"]

_TOKEN = "GOVGRAPH-KEY-7F3A9C"
_MARKER = "govgraphHeaderMarker7f3a"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _arguments(
    values: Mapping[str, Any], key_path: str | None, keys: Sequence[str] | None, many: bool
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for path, value in values.items():
        merge_path(kwargs, path, value)
    if key_path is not None and keys is not None:
        merge_path(kwargs, key_path, list(keys) if many else keys[0])
    return kwargs


@dataclass(slots=True)
class _Template:
    head: str
    tail: str
    item: str
    body_head: str
    body_tail: str

    def render(self, keys: Sequence[str], header: str) -> bytes:
        items = "".join(self.item.replace(_TOKEN, escape(key)) for key in keys)
        return (self.head + header + self.tail + self.body_head + items + self.body_tail).encode()


class OperationCodec:
    """Request building and reply reading for one operation of one port."""

    def __init__(
        self,
        port: LoadedPort,
        operation: Any,
        *,
        key_path: str | None,
        many: bool,
        values: Mapping[str, Any],
        credentials: Credentials | None,
        fast: bool,
    ) -> None:
        self.port = port
        self.operation = operation
        self.name: str = operation.name
        self.key_path = key_path
        self.many = many
        self.values = dict(values)
        self.credentials = credentials
        self.schema = port.client.wsdl.types
        self.env_ns = port.envelope_ns
        self.rpc = type(operation.output).__name__ == "RpcMessage"
        self._template = self._compile_template() if fast and key_path else None
        self._decoder: Decoder | None = self._compile_decoder() if fast else None
        self._projections: dict[tuple[str, ...], Any] = {}

    @property
    def fast_request(self) -> bool:
        return self._template is not None

    @property
    def fast_reply(self) -> bool:
        return self._decoder is not None

    def _zeep_envelope(self, kwargs: dict[str, Any]) -> tuple[etree._Element, dict[str, str]]:
        serialized = self.operation.create(**kwargs)
        self.port.binding._set_http_headers(serialized, self.operation)
        return serialized.content, dict(serialized.headers)

    def _compile_template(self) -> _Template | None:
        try:
            envelope, headers = self._zeep_envelope(
                _arguments(self.values, self.key_path, [_TOKEN], self.many)
            )
        except (TypeError, ValueError, LookupError, AttributeError):
            return None
        self._headers = headers
        header = envelope.find(f"{{{self.env_ns}}}Header")
        if header is None:
            header = etree.Element(f"{{{self.env_ns}}}Header")
            envelope.insert(0, header)
        etree.SubElement(header, _MARKER)
        text = etree.tostring(envelope, encoding="unicode")
        marker = f"<{_MARKER}/>"
        if text.count(marker) != 1 or text.count(_TOKEN) != 1:
            return None
        head, rest = text.split(marker)
        at = rest.index(_TOKEN)
        start = rest.rindex("<", 0, at)
        close = rest.index("<", at)
        end = rest.index(">", close) + 1
        if rest[close : close + 2] != "</":
            return None
        return _Template(
            '<?xml version="1.0" encoding="utf-8"?>' + head,
            "",
            rest[start:end],
            rest[:start],
            rest[end:],
        )

    def _compile_decoder(self) -> Decoder | None:
        body = getattr(self.operation.output, "body", None)
        if body is None or etree.QName(body.qname).localname == "Body":
            return None
        if getattr(self.operation.output, "header", None) is not None and (
            self.operation.output.header.type.elements
        ):
            return None
        return compile_element(body, self.schema)

    def request(
        self,
        keys: Sequence[str] | None,
        extra_header: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The envelope bytes and HTTP headers for a call with ``keys`` at the key path."""
        if self._template is not None and keys is not None and values is None:
            security = self.credentials.security_header() if self.credentials else ""
            body = self._template.render(keys, security + (extra_header or ""))
            return body, dict(self._headers)
        kwargs = _arguments({**self.values, **(values or {})}, self.key_path, keys, self.many)
        envelope, headers = self._zeep_envelope(kwargs)
        if self.credentials is not None:
            token: Any = UsernameToken(  # type: ignore[no-untyped-call]
                self.credentials.username, self.credentials.password, use_digest=True
            )
            envelope, headers = token.apply(envelope, headers)
        if extra_header:
            header = envelope.find(f"{{{self.env_ns}}}Header")
            if header is None:
                header = etree.Element(f"{{{self.env_ns}}}Header")
                envelope.insert(0, header)
            header.extend(etree.fromstring(f"<x>{extra_header}</x>", _PARSER))
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True), dict(headers)

    def reply(self, body: bytes, keep: Sequence[str] | None = None) -> dict[str, Any]:
        """The reply wrapper's content as plain dicts; raises ``SoapFault`` for a fault.

        With ``keep`` (dotted paths into the content), only those values are read: the same
        as the full content with every other key left out, built without decoding the rest
        (exactly like the full decode whenever the reply holds anything unusual)."""
        if keep is not None:
            return self._reply_kept(body, tuple(sorted(set(keep))))
        if self._decoder is not None:
            root = etree.fromstring(body, _PARSER)
            wrapper = self._wrapper(root)
            strict = needs_strict(body)
            value = self._decoder(wrapper, strict) if wrapper is not None else None
        else:
            root = parse_xml(
                body,  # type: ignore[arg-type]
                self.port.client.transport,
                settings=self.port.client.settings,
            )
            wrapper = self._wrapper(root)
            body_el = root.find(f"{{{self.env_ns}}}Body")
            if body_el is None or wrapper is None:
                return {}
            result = self.operation.output._deserialize_body(body_el)["body"]
            value = to_plain(result)
        return value if isinstance(value, dict) else {}

    def projection(self, keep: Sequence[str]) -> Any:
        """The compiled reader of the reply's values at the dotted paths ``keep`` (``None`` when
        only a full decode reads them); a ``LookupError`` names a path the reply's type does not
        declare."""
        key = tuple(sorted(set(keep)))
        if key not in self._projections:
            element = getattr(self.operation.output, "body", None)
            self._projections[key] = (
                compile_projection(element, self.schema, keep_tree(key))
                if element is not None and self._decoder is not None
                else None
            )
        return self._projections[key]

    def _reply_kept(self, body: bytes, keep: tuple[str, ...]) -> dict[str, Any]:
        tree = keep_tree(keep)
        if self._decoder is not None and not needs_strict(body):
            projection = self.projection(keep)
            if projection is not None:
                root = etree.fromstring(body, _PARSER)
                wrapper = self._wrapper(root)
                if wrapper is None:
                    return {}
                try:
                    value = projection(wrapper)
                except Unprojectable:
                    value = project(self._decoder(wrapper, False), tree)
                return value if isinstance(value, dict) else {}
        value = project(self.reply(body), tree)
        return value if isinstance(value, dict) else {}

    def _check_wrapper(self, wrapper: etree._Element) -> None:
        expected = etree.QName(self.operation.output.body.qname)
        found = etree.QName(wrapper)
        if expected.namespace == self.env_ns:
            return
        if found.namespace != expected.namespace or (
            found.localname != expected.localname and not self.rpc
        ):
            raise ValueError(
                f"{self.name} reply: expected element {expected.text}, got {found.text}"
            )

    def _raise_fault(self, root: etree._Element) -> None:
        fault = find_fault(root)
        if fault is not None:
            raise SoapFault(read_fault(fault))

    def _wrapper(self, root: etree._Element) -> etree._Element | None:
        body_el = root.find(f"{{{self.env_ns}}}Body")
        if body_el is None:
            self._raise_fault(root)
            raise ValueError("the reply has no SOAP Body")
        for child in body_el:
            if isinstance(child.tag, str):
                if child.tag == f"{{{self.env_ns}}}Fault":
                    raise SoapFault(read_fault(child))
                if self.operation.output.body is not None:
                    self._check_wrapper(child)
                return child
        return None


def build_codec(
    port: LoadedPort,
    operation: Any,
    *,
    key_path: str | None,
    many: bool,
    values: Mapping[str, Any],
    credentials: Credentials | None,
    fast: bool,
) -> OperationCodec:
    """A codec for ``operation``; ``fast`` asks for the compiled paths where the types allow."""
    return OperationCodec(
        port,
        operation,
        key_path=key_path,
        many=many,
        values=values,
        credentials=credentials,
        fast=fast,
    )
