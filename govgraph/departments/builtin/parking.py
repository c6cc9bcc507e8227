"""Local councils' parking services: penalty charge notices, keyed by vehicle registration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from govgraph.departments.model import (
    AccessPolicy,
    CitizenField,
    Department,
    EnumType,
    FieldSpec,
    IdentityMapping,
    Item,
    ItemRule,
    RecordType,
    SavedTable,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
    StatisticsSpec,
    WriteCommand,
)
from govgraph.departments.values import amount, as_date, pounds, text

PAYABLE = frozenset({"OPEN", "CHARGE_CERTIFICATE"})
"""Notice statuses under which the charge can still be paid."""
PAY_WITHIN_DAYS = 28
"""Once the discount has gone, the full charge is due this many days after issue."""

_NOTICE_STATUSES = (
    ("OPEN", "Unpaid."),
    ("PAID", "Paid in full."),
    ("CANCELLED", "Cancelled by the council."),
    ("APPEALED", "Under appeal; payment on hold."),
    ("CHARGE_CERTIFICATE", "Unpaid after the deadline; the charge has increased."),
)

_STATUSES = ("OPEN", "PAID", "CANCELLED", "APPEALED", "CHARGE_CERTIFICATE")


def notice_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A council's notice row as a ``PenaltyNotice``'s values, with what is due today, by when
    (``due_date``) and what has been paid (``paid_amount``)."""
    status = text(record.get("status"))
    if status not in {s for s, _ in _NOTICE_STATUSES}:
        status = "OPEN"
    full = amount(record.get("amount"))
    discount = amount(record.get("discount_amount"))
    deadline = as_date(record.get("discount_deadline"))
    paid = amount(record.get("paid_amount"))
    in_discount = deadline is not None and today <= deadline
    due = Decimal("0")
    if status in PAYABLE:
        due = max((discount if in_discount else full) - paid, Decimal("0"))
    issued = record.get("issued_at")
    issued_at = issued if isinstance(issued, datetime) else None
    if in_discount:
        due_date = deadline
    elif issued_at is not None:
        due_date = issued_at.date() + timedelta(days=PAY_WITHIN_DAYS)
    else:
        due_date = None
    return {
        "pcn": text(record.get("pcn")),
        "authority": text(record.get("authority")),
        "vehicle_registration": text(record.get("vrm")),
        "contravention_code": text(record.get("contravention_code")),
        "contravention": text(record.get("contravention")),
        "location": record.get("location"),
        "issued_at": issued_at,
        "amount": full,
        "discount_amount": discount,
        "discount_deadline": deadline,
        "status": status,
        "amount_due": due,
        "due_date": due_date,
        "paid_amount": paid,
    }


def _one_per_notice(notices: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Each council's notice once (a vehicle kept by several keys is read more than once),
    earliest issued first."""
    seen: set[tuple[str, str]] = set()
    out = []
    for n in notices:
        if (n["authority"], n["pcn"]) not in seen:
            seen.add((n["authority"], n["pcn"]))
            out.append(n)
    out.sort(key=lambda n: (n["issued_at"] is None, n["issued_at"]))
    return out


def _owed(notice: Mapping[str, Any], today: date) -> Iterable[Item]:
    if notice["amount_due"] > 0:
        yield Item(
            notice["pcn"],
            f"Penalty charge: {notice['contravention']} ({notice['authority']})",
            notice["amount_due"],
            notice["due_date"],
        )


def _pay(notice: Mapping[str, Any], today: date) -> Iterable[Item]:
    if notice["amount_due"] <= 0:
        return
    deadline = notice["discount_deadline"]
    if deadline is not None and today <= deadline:
        title = (
            f"Pay penalty {notice['pcn']} by {deadline:%d %B} to pay "
            f"{pounds(notice['discount_amount'])} instead of {pounds(notice['amount'])}"
        )
    else:
        title = f"Pay penalty {notice['pcn']}"
    yield Item(notice["pcn"], title, notice["amount_due"], notice["due_date"])


DEPARTMENT = Department(
    id="parking",
    name="Local councils' parking services",
    description="Local councils' parking services.",
    level="local",
    record_key="vehicle registration mark (one record per notice, from every council)",
    label="Parking (your council)",
    identity=IdentityMapping(
        key="vrm",
        surname="keeper_surname",
        given_name="keeper_forenames",
        postcode="keeper_postcode",
        identifiers={"vrm": "vrm"},
        attach_by="vrm",
    ),
    access=AccessPolicy(group="parking", confidence="P1"),
    record_fields=(
        "pcn",
        "vrm",
        "authority",
        "keeper_surname",
        "keeper_forenames",
        "keeper_postcode",
        "status",
        "amount",
    ),
    statistics=StatisticsSpec(
        dimensions=("council", "issue_month", "postcode_area"),
        measures=("vehicles", "notices", "amount"),
        key_field="vrm",
        breakdowns=(
            StatisticsDimension(
                "issue_month",
                "Month the notice was issued (needs a month range).",
                "issued_at",
                by="month",
            ),
            StatisticsDimension(
                "keeper_area",
                "Postcode area of the keeper's address.",
                "keeper_postcode",
                by="area",
            ),
            StatisticsDimension("status", "The notice's status.", "status", values=_STATUSES),
            StatisticsDimension(
                "council", "The council that issued the notice (named tables only).", "authority"
            ),
            StatisticsDimension(
                "contravention",
                "The contravention code (named tables only).",
                "contravention_code",
            ),
        ),
        conditions=(
            StatisticsCondition(
                "unpaid",
                "Keeps a vehicle with an unpaid penalty notice (open or charge certificate).",
                "status",
                values=("OPEN", "CHARGE_CERTIFICATE"),
            ),
            StatisticsCondition(
                "issued_within_months",
                "Keeps a vehicle with a notice issued in the last `months` months.",
                "issued_at",
                months_ahead=True,
            ),
        ),
        sums=(
            StatisticsMeasure("notices", "Penalty charge notices.", bound=4),
            StatisticsMeasure("charges", "Charges of the notices, in pounds.", "amount", bound=400),
        ),
        tables=(
            SavedTable(
                "penalty_notices",
                "Penalty charge notices by council and contravention (rows) and month of issue "
                "(columns): vehicles, notices and the sum of charges. Placed by the keeper's "
                "postcode.",
                rows=("parking.council", "parking.contravention"),
                column="parking.issue_month",
                amount="amount",
                dated=("parking.issue_month",),
                placed=("parking.keeper_area",),
            ),
        ),
    ),
    writes=(
        WriteCommand(
            "change_address",
            "An update of the keeper's address on the council's notices, one per council.",
            address_change=True,
            key_field="vrms",
            per="authority",
            per_field="council",
        ),
        WriteCommand("pay_penalty", "A payment recorded against a penalty charge notice."),
    ),
    cost=5,
    types=(
        EnumType("PenaltyStatus", "Where a penalty charge notice stands.", _NOTICE_STATUSES),
        RecordType(
            "PenaltyNotice",
            "A council's penalty charge notice for a vehicle the citizen keeps.",
            (
                FieldSpec("pcn", "str", "Penalty charge notice number."),
                FieldSpec("authority", "str", "The council that issued it."),
                FieldSpec("vehicle_registration", "str", "Vehicle registration mark."),
                FieldSpec("contravention_code", "str", "Contravention code."),
                FieldSpec("contravention", "str", "What the contravention was."),
                FieldSpec("location", "str?", "Where it happened."),
                FieldSpec("issued_at", "datetime?", "When the notice was issued."),
                FieldSpec("amount", "money", "Full charge."),
                FieldSpec("discount_amount", "money", "Reduced charge if paid in time."),
                FieldSpec("discount_deadline", "date?", "Last day the reduced charge applies."),
                FieldSpec("status", "PenaltyStatus", "Where the notice stands."),
                FieldSpec(
                    "amount_due",
                    "money",
                    "What must be paid today: the discount before its deadline, else the full "
                    "charge; zero once paid, cancelled or under appeal.",
                ),
            ),
            node_key="pcn",
        ),
    ),
    fields=(
        CitizenField(
            "parking_fines",
            "PenaltyNotice",
            "Penalty charge notices from every council, for vehicles the citizen keeps. If a "
            "council cannot answer, the others' notices are still returned, with an error "
            "naming that council.",
            select=_one_per_notice,
        ),
    ),
    record=notice_values,
    items=(
        ItemRule(
            "obligations",
            "PENALTY_NOTICE",
            "An unpaid penalty.",
            _owed,
            field="parking_fines",
        ),
        ItemRule(
            "tasks",
            "PAY_PENALTY",
            "Pay a penalty notice.",
            _pay,
            field="parking_fines",
            action=("payPenaltyNotice", "pcn"),
        ),
    ),
)
