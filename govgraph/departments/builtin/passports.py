"""The passport office: passports and renewal applications from its SQL database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
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
from govgraph.departments.values import as_date, listed, text

RENEW_WITHIN_DAYS = 270
"""A passport expiring within this many days gets a renewal task."""
APPLICATION_UNDER_WAY = frozenset({"RECEIVED", "IN_PROGRESS", "APPROVED"})
"""Application statuses that mean a renewal is already under way (no renewal task then)."""

_STATUSES = (
    ("VALID", "Can be used to travel."),
    ("EXPIRED", "Past its expiry date."),
    ("CANCELLED", "Cancelled by the office."),
    ("LOST", "Reported lost or stolen."),
)

_APPLICATION_STATUSES = (
    ("RECEIVED", "The office has the application and has not started on it."),
    ("IN_PROGRESS", "The office is checking it."),
    ("APPROVED", "Approved: the new passport is being made."),
    ("ISSUED", "The new passport has been sent."),
    ("REJECTED", "Refused: the office writes with its reasons."),
)
_STAGES = frozenset(s for s, _ in _APPLICATION_STATUSES)


def passport_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A passport office row as a ``Passport``'s values."""
    status = text(record.get("status"))
    return {
        "number": text(record.get("passport_number")),
        "issue_date": as_date(record.get("issue_date")),
        "expiry_date": as_date(record.get("expiry_date")),
        "status": status if status in {s for s, _ in _STATUSES} else "CANCELLED",
        "applications": [
            {
                "reference": text(a.get("reference")),
                "received": as_date(a.get("received")),
                "status": text(a.get("status")),
                "state": text(a.get("status")) if text(a.get("status")) in _STAGES else None,
            }
            for a in listed(record.get("applications"))
        ],
    }


def _current(passports: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The passport expiring last (the one in use)."""
    return max(
        passports, key=lambda p: p["expiry_date"] or p["issue_date"] or date.min, default=None
    )


def _document(passport: Mapping[str, Any], today: date) -> Iterable[Item]:
    yield Item(reference=passport["number"], description="Passport", date=passport["expiry_date"])


def _renewal(passport: Mapping[str, Any], today: date) -> Iterable[Item]:
    expiry = passport["expiry_date"]
    renewing = any(a["status"] in APPLICATION_UNDER_WAY for a in passport["applications"])
    if renewing:
        return
    if expiry is not None and expiry <= today + timedelta(days=RENEW_WITHIN_DAYS):
        yield Item(reference=passport["number"], description="Renew your passport", date=expiry)


_STATUS_NAMES = tuple(s for s, _ in _STATUSES)

DEPARTMENT = Department(
    id="passports",
    name="The passport office",
    description="The passport office.",
    level="central",
    record_key="passport number",
    label="Passports",
    identity=IdentityMapping(
        key="passport",
        surname="surname",
        forenames="forenames",
        date_of_birth="date_of_birth",
        sex="sex",
        postcode="postcode",
        address_lines="address_line1",
        town="town",
        trust=0,
    ),
    access=AccessPolicy(group="passport", confidence="P1"),
    record_fields=(
        "passport_number",
        "surname",
        "forenames",
        "date_of_birth",
        "sex",
        "address_line1",
        "town",
        "postcode",
        "issue_date",
        "expiry_date",
        "status",
    ),
    statistics=StatisticsSpec(
        dimensions=("expiry_month", "postcode_area"),
        measures=("passports",),
        key_field="passport_number",
        breakdowns=(
            StatisticsDimension(
                "expiry_month",
                "Month the passport expires (needs a month range).",
                "expiry_date",
                by="month",
            ),
            StatisticsDimension(
                "holder_area", "Postcode area of the holder's address.", "postcode", by="area"
            ),
            StatisticsDimension("status", "The passport's status.", "status", values=_STATUS_NAMES),
        ),
        conditions=(
            StatisticsCondition(
                "expires_within_months",
                "Holds a passport, not cancelled or lost, that expires from the start of this "
                "month to the end of the month `months` - 1 ahead.",
                "expiry_date",
                months_ahead=True,
                also=(("status", ("VALID", "EXPIRED")),),
            ),
            StatisticsCondition(
                "status",
                "Holds a passport in one of the given statuses (`values`).",
                "status",
                choices=_STATUS_NAMES,
            ),
        ),
        sums=(StatisticsMeasure("passports", "Passports.", bound=2),),
        tables=(
            SavedTable(
                "passport_expiries",
                "Passports by month of expiry: holders. Placed by the holder's postcode.",
                rows=("passports.expiry_month",),
                dated=("passports.expiry_month",),
                placed=("passports.holder_area",),
            ),
            SavedTable(
                "passport_and_vehicle_renewals",
                "People whose passport expires in the month range (default: this month and the "
                "next five) and who keep a vehicle whose tax or MOT also runs out in it, by the "
                "postcode area of the passport holder. Joined through the citizen index.",
                rows=("passports.holder_area",),
                dated=(
                    "passports.expiry_month",
                    "vehicles.tax_due_within_months",
                    "vehicles.mot_due_within_months",
                ),
                placed=("passports.holder_area",),
                window=6,
            ),
        ),
    ),
    writes=(
        WriteCommand(
            "change_address",
            "An update of the passport's correspondence address.",
            address_change=True,
            key_field="passport_number",
            receiver="the passport office",
        ),
        WriteCommand("apply_renewal", "A renewal application row the office's system picks up."),
    ),
    cost=3,
    types=(
        EnumType("PassportStatus", "State of a passport.", _STATUSES),
        EnumType(
            "PassportApplicationStatus",
            "Where an application to the passport office stands.",
            _APPLICATION_STATUSES,
        ),
        RecordType(
            "PassportApplication",
            "An application made to the passport office.",
            (
                FieldSpec("reference", "str", "Application reference."),
                FieldSpec("received", "date?", "Date the office received it."),
                FieldSpec(
                    "status",
                    "str",
                    "`RECEIVED`, `IN_PROGRESS`, `APPROVED`, `ISSUED` or `REJECTED`.",
                    deprecation="Use `state`, the same values as an enum.",
                ),
                FieldSpec(
                    "state",
                    "PassportApplicationStatus?",
                    "Where the application stands; null for a status this API does not know "
                    "yet (its text is still in `status`).",
                ),
            ),
        ),
        RecordType(
            "Passport",
            "The citizen's passport.",
            (
                FieldSpec("number", "str", "Nine-digit passport number."),
                FieldSpec("issue_date", "date?", "Date of issue."),
                FieldSpec("expiry_date", "date?", "Date of expiry."),
                FieldSpec("status", "PassportStatus", "Whether it can be used."),
                FieldSpec(
                    "applications",
                    "[PassportApplication]",
                    "Applications about this passport, e.g. renewals.",
                ),
            ),
            node_key="number",
        ),
    ),
    fields=(
        CitizenField(
            "passport",
            "Passport",
            "The citizen's current passport, if they hold one.",
            many=False,
            select=_current,
        ),
    ),
    record=passport_values,
    items=(
        ItemRule("documents", "PASSPORT", "Passport.", _document, field="passport"),
        ItemRule(
            "tasks",
            "RENEW_PASSPORT",
            "Renew the passport.",
            _renewal,
            field="passport",
            action=("applyForPassportRenewal", "input.passportNumber"),
        ),
    ),
    builtin_fields=("applications",),
)
