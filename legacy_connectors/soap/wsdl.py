"""Read a WSDL with zeep (blocking: call from a worker thread) and find services, ports and
operations in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.transports import Transport

from legacy_connectors.errors import ConfigurationError

__all__ = [
    "SOAP11_ENV",
    "SOAP12_ENV",
    "BundledSchemas",
    "LoadedPort",
    "load_client",
    "redact_url",
    "resolve_port",
]

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"


@dataclass(slots=True)
class LoadedPort:
    """One port of a loaded WSDL: its binding, address and SOAP envelope namespace."""

    client: Any
    binding: Any
    address: str | None
    envelope_ns: str

    def operation(self, name: str, setting: str, service: str) -> Any:
        """The binding operation called ``name`` (named in setting ``setting``)."""
        operation = self.binding._operations.get(name)
        if operation is None:
            known = ", ".join(sorted(self.binding._operations)) or "none"
            raise ConfigurationError(
                f"{setting}: operation {name!r} is not in the port's binding; it has: {known}",
                service=service,
            )
        return operation


_BUNDLED = {
    "http://schemas.xmlsoap.org/soap/encoding": Path(__file__).with_name("schemas")
    / "soap-encoding.xsd",
}


class BundledSchemas:
    """A zeep cache that answers well-known schema URLs from files shipped with this package.

    zeep imports the SOAP encoding schema by its namespace URL whenever a WSDL mentions it;
    answering locally keeps reading a WSDL from ever reaching out to the internet for it.
    """

    def get(self, url: str) -> bytes | None:
        path = _BUNDLED.get(url.rstrip("/"))
        return path.read_bytes() if path is not None else None

    def add(self, url: str, content: bytes) -> None:
        """Nothing is remembered: the WSDL is read once per connector."""


def redact_url(location: str) -> str:
    """``location`` with any ``user:password@`` part replaced by ``***@``."""
    parts = urlsplit(location)
    if "@" not in parts.netloc:
        return location
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def load_client(location: str, *, timeout_s: float = 30.0) -> Any:
    """Parse the WSDL at ``location`` (path or URL) with zeep, following its imports."""
    transport = Transport(  # type: ignore[no-untyped-call]
        cache=BundledSchemas(), timeout=timeout_s, operation_timeout=timeout_s
    )
    settings = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=False)
    try:
        return Client(location, transport=transport, settings=settings)  # type: ignore[no-untyped-call]
    except (ZeepError, OSError, ValueError, LookupError, AttributeError) as exc:
        shown = redact_url(location)
        reason = str(exc).replace(location, shown)
        userinfo = urlsplit(location).netloc.rpartition("@")[0]
        if userinfo:
            reason = reason.replace(userinfo, "***")
        raise ConfigurationError(
            f"wsdl {shown!r} could not be read as a WSDL ({type(exc).__name__}: {reason})"
        ) from exc
    finally:
        transport.session.close()


def resolve_port(client: Any, service: str | None, port: str | None, source: str) -> LoadedPort:
    """Find the named (or first) service and port in a loaded WSDL."""
    services = client.wsdl.services
    if not services:
        raise ConfigurationError("the WSDL defines no service", service=source)
    if service is None:
        svc = next(iter(services.values()))
    elif service in services:
        svc = services[service]
    else:
        raise ConfigurationError(
            f"service: {service!r} is not in the WSDL; it has: {', '.join(services)}",
            service=source,
        )
    ports = svc.ports
    if not ports:
        raise ConfigurationError(f"service {svc.name!r} has no ports", service=source)
    if port is None:
        chosen = next(iter(ports.values()))
    elif port in ports:
        chosen = ports[port]
    else:
        raise ConfigurationError(
            f"port: {port!r} is not in service {svc.name!r}; it has: {', '.join(ports)}",
            service=source,
        )
    binding = chosen.binding
    envelope_ns = getattr(binding, "nsmap", {}).get("soap-env")
    if envelope_ns not in (SOAP11_ENV, SOAP12_ENV):
        raise ConfigurationError(
            f"port {chosen.name!r} is not a SOAP 1.1 or 1.2 binding", service=source
        )
    address = (chosen.binding_options or {}).get("address")
    return LoadedPort(client, binding, address, envelope_ns)
