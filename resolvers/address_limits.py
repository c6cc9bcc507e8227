"""A new address checked against what every receiving department can hold, before it is kept.

Each department's write command declares, from its own definitions, what each field can hold
(:meth:`Connector.write_limits`: copybook widths and code page, column lengths, XSD facets).
An address a department cannot hold exactly as the citizen typed it (after the documented
clean-up: NFC, whitespace runs as one space) is refused with one error per field naming the
department and the constraint. Nothing is transliterated, cut short or replaced: what the
citizen is shown in the confirmation is what every department stores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from govgraph.departments import address_change_command, all_departments
from govgraph.outbox import NewDelivery
from legacy_connectors.errors import LegacyError
from legacy_connectors.limits import FieldLimit
from resolvers.context import RequestContext
from resolvers.idempotency import InputRefused

__all__ = ["department_name", "held_everywhere"]

log = logging.getLogger("govgraph.writes")

_FIELDS = {
    "lines": ("INVALID_ADDRESS_LINES", "Address line"),
    "town": ("INVALID_TOWN", "Town"),
    "postcode": ("INVALID_POSTCODE", "Postcode"),
}


def department_name(delivery: NewDelivery) -> str:
    """How a message names the receiver of ``delivery``: the member it goes to (a council), the
    receiver its department's write command declares, or the department's display name."""
    command = address_change_command(delivery.source)
    if command is not None and command.per_field and delivery.payload.get(command.per_field):
        return str(delivery.payload[command.per_field])
    if command is not None and command.receiver:
        return command.receiver
    department = next((d for d in all_departments() if d.source_name == delivery.source), None)
    return department.name if department is not None else delivery.source


async def _limits(ctx: RequestContext, delivery: NewDelivery) -> list[FieldLimit]:
    source: Any = ctx.sources.get(delivery.source)
    if source is None:
        return []
    try:
        return list(await source.write_limits(delivery.command))
    except (LegacyError, NotImplementedError) as exc:
        log.warning(
            "limits of %s unknown (%s); its own writer will refuse what it cannot hold",
            delivery.source,
            type(exc).__name__,
        )
        return []


def _values(address: dict[str, Any], path: str) -> tuple[str, list[tuple[int | None, str]]]:
    """The address field a payload path names, and its values (with line numbers)."""
    parts = path.split(".")
    field = parts[1]
    if field == "lines":
        lines = list(address.get("lines") or [])
        if len(parts) > 2 and parts[2].isdigit():
            index = int(parts[2])
            return field, [(index, lines[index] if index < len(lines) else "")]
        return field, list(enumerate(lines))
    return field, [(None, str(address.get(field) or ""))]


def _problems(limit: FieldLimit, address: dict[str, Any]) -> tuple[str, list[str]] | None:
    if not limit.path.startswith("address.") or limit.path.split(".")[1] not in _FIELDS:
        return None
    field, values = _values(address, limit.path)
    label = _FIELDS[field][1]
    found = []
    if limit.max_items is not None and len(values) > limit.max_items:
        found.append(f"at most {limit.max_items} address lines are held")
    for number, value in values:
        problem = limit.problem(value)
        if problem is not None:
            name = f"{label} {number + 1}" if number is not None else label
            found.append(f"{name} {problem}")
    return field, found


async def held_everywhere(
    ctx: RequestContext, planned: Sequence[NewDelivery], address: dict[str, Any]
) -> list[InputRefused]:
    """One refusal per address field some receiving department cannot hold as given."""
    by_field: dict[str, list[str]] = {}
    for delivery in planned:
        receiver = department_name(delivery)
        for limit in await _limits(ctx, delivery):
            found = _problems(limit, address)
            if found is None:
                continue
            field, problems = found
            for problem in problems:
                message = f"{problem} for {receiver}"
                if message not in by_field.setdefault(field, []):
                    by_field[field].append(message)
    return [
        InputRefused(
            _FIELDS[field][0], f"newAddress.{field}", f"newAddress.{field}: " + "; ".join(messages)
        )
        for field, messages in by_field.items()
        if messages
    ]
