"""Write commands of a SOAP source: one configured operation per command.

The request is built from the payload (request path to payload field), the delivery id goes to
its own request path, and the reply's outcome element says whether the service applied the
command now (``accepted``) or had already applied that delivery id (``duplicate``). Faults are
classified as for reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from legacy_connectors.base import Record
from legacy_connectors.errors import InvalidInputError, ProtocolError
from legacy_connectors.payload import payload_value

__all__ = ["SoapCommand", "build_values", "read_outcome"]


class SoapCommand(BaseModel):
    """A write the SOAP source accepts: an operation and where each payload field goes."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    operation: str
    """The WSDL operation that carries out the command."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Request path (dotted, below the request wrapper) to payload field (dotted path; a number
    selects a list item, e.g. ``address.lines.0``)."""
    values: dict[str, Any] = Field(default_factory=dict)
    """Fixed request values by request path."""
    delivery_id_path: str | None = None
    """Request path of the delivery id the service deduplicates by."""
    outcome_path: str | None = None
    """Reply path of the outcome; without it any reply that is not a fault is ``ACCEPTED``."""
    accepted: list[str] = Field(default_factory=lambda: ["ACCEPTED"])
    """Outcome values meaning the service applied the command now."""
    duplicate: list[str] = Field(default_factory=lambda: ["DUPLICATE"])
    """Outcome values meaning the service had already applied this delivery id."""


def build_values(
    service: str, command: str, spec: SoapCommand, payload: Mapping[str, Any], delivery_id: str
) -> dict[str, Any]:
    """The request values by path; ``InvalidInputError`` naming a missing payload field."""
    values: dict[str, Any] = dict(spec.values)
    for path, field in spec.fields.items():
        try:
            values[path] = payload_value(payload, field)
        except KeyError:
            raise InvalidInputError(
                f"{service}: command {command!r}: payload field {field!r} is missing",
                service=service,
            ) from None
    if spec.delivery_id_path:
        values[spec.delivery_id_path] = delivery_id
    return values


def read_outcome(
    service: str, command: str, spec: SoapCommand, content: Mapping[str, Any]
) -> Record:
    """``{"outcome": "ACCEPTED" | "DUPLICATE"}`` from the reply content."""
    if spec.outcome_path is None:
        return {"outcome": "ACCEPTED"}
    found: Any = content
    for part in spec.outcome_path.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    outcome = None if found is None else str(found)
    if outcome in spec.accepted:
        return {"outcome": "ACCEPTED"}
    if outcome in spec.duplicate:
        return {"outcome": "DUPLICATE"}
    raise ProtocolError(
        f"{service}: command {command!r}: outcome at {spec.outcome_path!r} is not one of "
        f"{spec.accepted + spec.duplicate}",
        service=service,
    )
