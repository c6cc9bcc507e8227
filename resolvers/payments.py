"""Paying a penalty charge notice: checked against the notice, written to the council once.

The notice must be one of the citizen's own (a notice for a vehicle they keep); it must still
be payable (open, or a charge certificate) and the amount must be what is due today: the
discounted charge up to and including its deadline, the full charge after it. The council's
database takes the payment in one transaction that only changes a notice still payable, and
records the mutation's id as the delivery id, so the payment is never taken twice.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from govgraph.departments import department_with_command
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import InvalidInputError, LegacyError
from resolvers import citizen as fetch
from resolvers.context import RequestContext
from resolvers.idempotency import (
    InputRefused,
    acting_citizen,
    check_key,
    raise_refusals,
    run_once,
)
from schema.money import AMOUNT_HELP

__all__ = ["pay_penalty_notice"]

_COMMAND = "pay_penalty"
_DEPARTMENT = department_with_command(_COMMAND)
"""The department that takes penalty payments (from its declaration): its record mapping
gives a notice's status, what is due today and what has been paid."""
_SOURCE = "" if _DEPARTMENT is None else _DEPARTMENT.source_name

_PCN = re.compile(r"^[A-Z]{2}[0-9]{8}$")
_PAYABLE = ("OPEN", "CHARGE_CERTIFICATE")


def _amount(value: object) -> Decimal | None:
    """A positive amount in the money grammar, in pence precision, or ``None``."""
    if not isinstance(value, Decimal) or value <= 0:
        return None
    return value.quantize(Decimal("0.01"))


def _check(pcn: str, amount: object, key: str) -> tuple[str, Decimal]:
    refusals: list[InputRefused] = []
    normal = pcn.replace(" ", "").upper()
    if not _PCN.match(normal):
        refusals.append(
            InputRefused(
                "INVALID_PCN", "pcn", "pcn: expected a council prefix and 8 digits, e.g. AB12345678"
            )
        )
    value = _amount(amount)
    if value is None:
        refusals.append(
            InputRefused(
                "INVALID_AMOUNT", "amount", f"amount: expected a positive amount in {AMOUNT_HELP}"
            )
        )
    problem = check_key(key)
    if problem is not None:
        refusals.append(problem)
    if refusals:
        raise InputRefusedGroup(refusals)
    assert value is not None
    return normal, value


class InputRefusedGroup(Exception):
    """Several fields are invalid at once."""

    def __init__(self, refusals: list[InputRefused]) -> None:
        super().__init__(refusals[-1].message)
        self.refusals = refusals


async def _notice_rows(ctx: RequestContext, citizen_id: str) -> tuple[list[dict[str, Any]], bool]:
    """The citizen's notices as records, and whether some council could not answer."""
    rows: list[dict[str, Any]] = []
    partial = False
    for result in await fetch.load_source(ctx, citizen_id, _SOURCE):
        if isinstance(result, PartialRecords):
            rows.extend(result.records)
            partial = partial or bool(result.errors)
        elif isinstance(result, list):
            rows.extend(result)
        elif isinstance(result, dict):
            rows.append(result)
    return rows, partial


def _notice(row: dict[str, Any], today: date) -> dict[str, Any]:
    """The notice's values as its department's declaration maps them."""
    if _DEPARTMENT is None or _DEPARTMENT.record is None:
        return row
    return dict(_DEPARTMENT.record(row, today))


def _refuse_payment(notice: dict[str, Any], amount: Decimal, today: date) -> None:
    status = notice["status"]
    due = notice["amount_due"].quantize(Decimal("0.01"))
    if status not in _PAYABLE or due <= 0:
        code = "ALREADY_PAID" if status == "PAID" else "NOT_PAYABLE"
        raise InputRefused(code, "pcn", f"pcn: the notice cannot be paid (it is {status})")
    if amount == due:
        return
    deadline = notice["discount_deadline"]
    discount = notice["discount_amount"].quantize(Decimal("0.01"))
    if amount == discount and deadline is not None and today > deadline:
        raise InputRefused(
            "DISCOUNT_EXPIRED",
            "amount",
            f"amount: the discount ended on {deadline.isoformat()}; {due} is due now",
        )
    raise InputRefused("WRONG_AMOUNT", "amount", f"amount: expected {due}, got {amount}")


async def pay_penalty_notice(
    ctx: RequestContext, path: list[str | int], pcn: str, amount: object, key: str
) -> dict[str, Any]:
    """Pay ``pcn`` for the signed-in citizen; the first result for ``key`` every time."""
    citizen_id = acting_citizen(ctx)
    try:
        normal, value = _check(pcn, amount, key)
    except InputRefusedGroup as group:
        raise_refusals(ctx, path, group.refusals)
        raise

    async def run(mutation_id: str) -> dict[str, Any]:
        rows, partial = await _notice_rows(ctx, citizen_id)
        row = next((r for r in rows if str(r.get("pcn") or "").strip() == normal), None)
        if row is None:
            if partial:
                for result in await fetch.load_source(ctx, citizen_id, _SOURCE):
                    if isinstance(result, PartialRecords) and result.errors:
                        raise result.errors[0]
            raise InputRefused("UNKNOWN_PCN", "pcn", "pcn: no notice with this number is yours")
        notice = _notice(row, ctx.today)
        _refuse_payment(notice, value, ctx.today)
        paid_before = notice["paid_amount"].quantize(Decimal("0.01"))
        payload = {
            "council": notice["authority"],
            "pcn": normal,
            "paid_total": str(paid_before + value),
        }
        source = ctx.sources[_SOURCE]
        try:
            answer = await source.submit(
                _COMMAND, payload, delivery_id=mutation_id, scope=ctx.scope
            )
        except InvalidInputError as exc:
            raise InputRefused(
                "NOT_PAYABLE", "pcn", "pcn: the notice is no longer payable"
            ) from exc
        except LegacyError:
            raise
        source.forget(await ctx.keys(citizen_id, _SOURCE))
        return {
            "reference": mutation_id,
            "pcn": normal,
            "authority": notice["authority"],
            "amountPaid": str(value),
            "paidAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "outcome": answer.get("outcome", "ACCEPTED"),
        }

    return await run_once(
        ctx, citizen_id, "payPenaltyNotice", key, {"pcn": normal, "amount": str(value)}, run
    )
