"""Tell us once: a change of address recorded in the outbox, then delivered to each department.

The change and one delivery per department that holds the citizen and declares an
address-change command (one per key, or one per council holding notices, as the declaration's
``WriteCommand`` says) are written to the outbox in one transaction with the mutation's
result; the delivery worker does the rest. A member of a source that cannot be read just now
is told anyway (its update changes only the citizen's own records, so it is harmless where it
holds none).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from govgraph.departments import all_departments
from govgraph.outbox import NewDelivery, new_id
from govgraph.outbox.types import AddressChange as ChangeRecord
from govgraph.textguard import bad_character
from legacy_connectors.base import PartialRecords
from resolvers import citizen as fetch
from resolvers.address_limits import held_everywhere
from resolvers.context import RequestContext
from resolvers.errors import InvalidId, NotFound
from resolvers.idempotency import (
    InputRefused,
    acting_citizen,
    check_key,
    outbox_of,
    raise_refusals,
    run_once,
)
from resolvers.ids import decode_id
from resolvers.loader import BatchLoader
from schema.writes import address_change_id as global_change_id

__all__ = [
    "address_change",
    "change_address",
    "change_global_id",
    "global_change_id",
    "is_change_id",
    "normal_postcode",
    "reported_address",
]

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_COMMAND = "change_address"
_ENUM_VALUES = {d.source_name: d.enum_value for d in all_departments()}
_TYPE = "AddressChange"
_OUTBOX_ID = re.compile(r"^[0-9a-f]{32}$")


def normal_postcode(text: str) -> str | None:
    """``text`` as a UK postcode in its usual form (``SW1A 1AA``), or ``None`` if not one."""
    match = _POSTCODE.match(" ".join(text.upper().split()))
    return f"{match.group(1)} {match.group(2)}" if match else None


def _clean(text: str) -> str:
    """``text`` as it is recorded and shown: NFC, runs of whitespace as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _check(lines: list[str], town: str, postcode: str) -> tuple[dict[str, Any], list[InputRefused]]:
    refusals: list[InputRefused] = []
    cleaned = [_clean(line) for line in lines]
    if not 1 <= len(cleaned) <= 3 or any(not line or len(line) > 35 for line in cleaned):
        refusals.append(
            InputRefused(
                "INVALID_ADDRESS_LINES",
                "newAddress.lines",
                "newAddress.lines: expected 1 to 3 non-empty lines of at most 35 characters",
            )
        )
    town_clean = _clean(town)
    if not town_clean or len(town_clean) > 30:
        refusals.append(
            InputRefused(
                "INVALID_TOWN",
                "newAddress.town",
                "newAddress.town: expected a post town of 1 to 30 characters",
            )
        )
    code = normal_postcode(postcode)
    if code is None:
        refusals.append(
            InputRefused(
                "INVALID_POSTCODE",
                "newAddress.postcode",
                "newAddress.postcode: expected a UK postcode such as SW1A 1AA",
            )
        )
    for field, code_name, values in (
        ("lines", "INVALID_ADDRESS_LINES", cleaned),
        ("town", "INVALID_TOWN", [town_clean]),
    ):
        bad = next((c for v in values if (c := bad_character(v)) is not None), None)
        if bad is not None and not any(r.field == f"newAddress.{field}" for r in refusals):
            refusals.append(
                InputRefused(
                    code_name,
                    f"newAddress.{field}",
                    f"newAddress.{field}: contains U+{ord(bad):04X}, which is not text",
                )
            )
    return {"lines": cleaned, "town": town_clean, "postcode": code or ""}, refusals


def _accepts(ctx: RequestContext, source: str) -> bool:
    upstream = ctx.sources.get(source)
    return upstream is not None and upstream.accepts(_COMMAND)


async def _groups(ctx: RequestContext, citizen_id: str, source: str, field: str) -> list[str]:
    """Distinct values of ``field`` in the citizen's records of ``source`` (e.g. the councils
    holding notices), and the members of the source that could not answer."""
    found: list[str] = []
    for result in await fetch.load_source(ctx, citizen_id, source):
        rows = result.records if isinstance(result, PartialRecords) else result
        for row in rows if isinstance(rows, list) else [rows]:
            value = row.get(field) if isinstance(row, dict) else None
            if value and value not in found:
                found.append(str(value))
        if isinstance(result, PartialRecords):
            for error in result.errors:
                member = (error.service or "").partition("/")[2]
                if member and member not in found:
                    found.append(member)
    return found


async def _plan(ctx: RequestContext, citizen_id: str, address: dict[str, Any]) -> list[NewDelivery]:
    """One delivery per key (or per ``per`` value) of every declared department whose source
    accepts the change-of-address command."""
    links = await ctx.links.load(citizen_id)
    planned: list[NewDelivery] = []

    def add(source: str, payload: dict[str, Any], keys: list[str]) -> None:
        planned.append(
            NewDelivery(
                id=new_id(),
                department=_ENUM_VALUES.get(source, source.upper()),
                source=source,
                command=_COMMAND,
                payload={**payload, "address": address, "keys": keys},
            )
        )

    for department in all_departments():
        source = department.source_name
        command = next((w for w in department.writes if w.address_change), None)
        keys = links.get(source, [])
        if command is None or not keys or not _accepts(ctx, source):
            continue
        if not command.per:
            for key in keys:
                add(source, {command.key_field: key}, [key])
            continue
        for value in await _groups(ctx, citizen_id, source, command.per):
            add(source, {command.per_field: value, command.key_field: list(keys)}, list(keys))
    return planned


async def change_address(
    ctx: RequestContext,
    path: list[str | int],
    lines: list[str],
    town: str,
    postcode: str,
    key: str,
) -> ChangeRecord:
    """Record the change and its deliveries once for ``key``; the change as it stands now."""
    citizen_id = acting_citizen(ctx)
    address, refusals = _check(lines, town, postcode)
    problem = check_key(key)
    if problem is not None:
        refusals.append(problem)
    raise_refusals(ctx, path, refusals)
    outbox = outbox_of(ctx)

    async def run(mutation_id: str) -> dict[str, Any]:
        planned = await _plan(ctx, citizen_id, address)
        raise_refusals(ctx, path, await held_everywhere(ctx, planned, address))
        result = {"id": new_id()}
        await outbox.record_address_change(mutation_id, citizen_id, address, planned, result)
        return result

    result = await run_once(
        ctx, citizen_id, "changeAddress", key, {"address": address}, run, finish=False
    )
    if ctx.worker is not None:
        ctx.worker.wake()
    return await address_change(ctx, str(result["id"]))


def change_global_id(change: ChangeRecord) -> str:
    """A change's global id (``AddressChange:citizen:outbox-id``), usable with ``node(id:)``."""
    return global_change_id(change.citizen_id, change.id)


def _outbox_id(change_id: str, citizen_id: str) -> str | None:
    """The outbox id a change id names for ``citizen_id``: a global id, or the bare outbox id
    ``changeAddress`` gave before ids were global (still accepted); ``None`` for another
    citizen's change."""
    if _OUTBOX_ID.match(change_id):
        return change_id
    type_name, owner, local = decode_id(change_id)
    if type_name != _TYPE or local is None or not _OUTBOX_ID.match(local):
        raise InvalidId("the id is not a change of address's id")
    return local if owner == citizen_id else None


def is_change_id(change_id: str) -> bool:
    """Whether ``change_id`` has the form of a change's id from before ids were global."""
    return bool(_OUTBOX_ID.match(change_id))


async def address_change(ctx: RequestContext, change_id: str) -> ChangeRecord:
    """A change the signed-in citizen reported, by its global or former bare id (another
    citizen's is not found)."""
    citizen_id = acting_citizen(ctx)
    outbox_id = _outbox_id(change_id, citizen_id)
    change = None if outbox_id is None else await outbox_of(ctx).address_change(outbox_id)
    if change is None or change.citizen_id != citizen_id:
        raise NotFound("no change of address of yours has this id")
    return change


async def reported_address(ctx: RequestContext, citizen_id: str) -> dict[str, Any] | None:
    """The citizen's most recently reported address, if they reported one (batched)."""
    outbox = ctx.outbox
    if outbox is None:
        return None
    loader = ctx.reported_addresses
    if loader is None:

        async def load(ids: list[str]) -> list[Any]:
            found = await outbox.latest_addresses(ids)
            return [found.get(cid) for cid in ids]

        loader = ctx.reported_addresses = BatchLoader(load)
    found: dict[str, Any] | None = await loader.load(citizen_id)
    return found
