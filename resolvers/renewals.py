"""Applying to renew a passport, and the citizen's applications with their status.

The passport must be the citizen's own, with no renewal already under way; the application is
written to the passport office's database at once (a row its legacy system picks up), keyed
by a reference derived from the mutation's id, so a repeated request never makes a second.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from govgraph.departments import source_with_command
from govgraph.departments.values import as_date
from legacy_connectors.errors import InvalidInputError
from resolvers import citizen as fetch
from resolvers.context import RequestContext
from resolvers.idempotency import (
    InputRefused,
    acting_citizen,
    check_key,
    raise_refusals,
    run_once,
)
from schema.common import DEPARTMENT_BY_SOURCE
from schema.writes import Application, ApplicationKind

__all__ = ["applications", "apply_for_renewal"]

_COMMAND = "apply_renewal"
_SOURCE = source_with_command(_COMMAND)
"""The source of the department that takes renewal applications (from its declaration)."""

_NUMBER = re.compile(r"^[0-9]{9}$")
_PHOTO = re.compile(r"^[A-Z0-9]{8,16}$")
_UNDER_WAY = {"RECEIVED", "IN_PROGRESS", "APPROVED"}


def _reference(mutation_id: str) -> str:
    return f"RN{int(mutation_id, 16) % 10**10:010d}"


def _check(number: str, photo: str, declaration: bool, key: str) -> list[InputRefused]:
    refusals: list[InputRefused] = []
    if not _NUMBER.match(number):
        refusals.append(
            InputRefused(
                "INVALID_PASSPORT_NUMBER",
                "input.passportNumber",
                "input.passportNumber: expected 9 digits",
            )
        )
    if not _PHOTO.match(photo):
        refusals.append(
            InputRefused(
                "INVALID_PHOTO_CODE",
                "input.photoCode",
                "input.photoCode: expected 8 to 16 capital letters and digits",
            )
        )
    if not declaration:
        refusals.append(
            InputRefused(
                "DECLARATION_REQUIRED",
                "input.declaration",
                "input.declaration: the declaration must be made (true)",
            )
        )
    problem = check_key(key)
    if problem is not None:
        refusals.append(problem)
    return refusals


async def apply_for_renewal(
    ctx: RequestContext,
    path: list[str | int],
    number: str,
    photo: str,
    declaration: bool,
    key: str,
) -> dict[str, Any]:
    """Make the application once for ``key``; the application as made."""
    citizen_id = acting_citizen(ctx)
    number = number.strip()
    raise_refusals(ctx, path, _check(number, photo, declaration, key))

    async def run(mutation_id: str) -> dict[str, Any]:
        passports = [
            r for r in await fetch.load_source(ctx, citizen_id, _SOURCE) if isinstance(r, dict)
        ]
        held = next((p for p in passports if str(p.get("passport_number")) == number), None)
        if held is None:
            raise InputRefused(
                "UNKNOWN_PASSPORT",
                "input.passportNumber",
                "input.passportNumber: no passport with this number is yours",
            )
        for application in held.get("applications") or []:
            if str(application.get("status")) in _UNDER_WAY:
                raise InputRefused(
                    "APPLICATION_IN_PROGRESS",
                    "input.passportNumber",
                    "input.passportNumber: a renewal of this passport is already under way",
                )
        reference = _reference(mutation_id)
        source = ctx.sources[_SOURCE]
        payload = {"reference": reference, "passport_number": number}
        try:
            await source.submit(_COMMAND, payload, delivery_id=mutation_id, scope=ctx.scope)
        except InvalidInputError as exc:
            raise InputRefused(
                "APPLICATION_REFUSED",
                "input.passportNumber",
                "input.passportNumber: the passport office did not accept the application",
            ) from exc
        source.forget([number])
        return {
            "reference": reference,
            "passportNumber": number,
            "received": date.today().isoformat(),
            "status": "RECEIVED",
        }

    arguments = {"number": number, "photo": photo, "declaration": declaration}
    return await run_once(ctx, citizen_id, "applyForPassportRenewal", key, arguments, run)


async def applications(ctx: RequestContext, citizen_id: str) -> list[Application]:
    """Every application the citizen has made, newest first (passport renewals for now)."""
    found: list[Application] = []
    for record in await fetch.load_source(ctx, citizen_id, _SOURCE):
        if not isinstance(record, dict):
            continue
        for item in record.get("applications") or []:
            found.append(
                Application(
                    kind=ApplicationKind.PASSPORT_RENEWAL,
                    reference=str(item.get("reference") or ""),
                    department=DEPARTMENT_BY_SOURCE[_SOURCE],
                    received=as_date(item.get("received")),
                    status=str(item.get("status") or ""),
                )
            )
    found.sort(key=lambda a: (a.received or date.min, a.reference), reverse=True)
    return found
