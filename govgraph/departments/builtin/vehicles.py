"""Driver and vehicle licensing: driving licences and the vehicles their holders keep."""

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
    StatisticsCondition,
    StatisticsSpec,
)
from govgraph.departments.values import as_date, listed, text

RENEW_LICENCE_DAYS = 90
"""A photocard expiring within this many days gets a renewal task."""
VEHICLE_REMINDER_DAYS = 30
"""Vehicle tax or an MOT running out within this many days gets a task."""

_STATUSES = (
    ("VALID", "The holder may drive."),
    ("EXPIRED", "The photocard has expired."),
    ("REVOKED", "Revoked."),
    ("SUSPENDED", "Suspended (disqualified)."),
)


def _vehicle(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "registration": text(v.get("vrm")),
        "make": v.get("make"),
        "model": v.get("model"),
        "colour": v.get("colour"),
        "first_registered": as_date(v.get("first_registered")),
        "tax_expiry": as_date(v.get("tax_expiry")),
        "mot_expiry": as_date(v.get("mot_expiry")),
    }


def licence_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A licensing row as a ``DrivingLicence``'s values, with its holder's vehicles."""
    status = text(record.get("status"))
    endorsements = [
        {
            "offence_code": text(e.get("offence_code")),
            "points": int(e.get("points") or 0),
            "offence_date": as_date(e.get("offence_date")),
        }
        for e in listed(record.get("endorsements"))
    ]
    return {
        "number": text(record.get("licence_number")),
        "status": status if status in {s for s, _ in _STATUSES} else "SUSPENDED",
        "issue_date": as_date(record.get("issue_date")),
        "expiry_date": as_date(record.get("expiry_date")),
        "endorsements": endorsements,
        "penalty_points": sum(e["points"] for e in endorsements),
        "vehicles": [_vehicle(v) for v in listed(record.get("vehicles")) if isinstance(v, Mapping)],
    }


def _licence(licences: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    return licences[0] if licences else None


def _vehicles(licences: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return [v for licence in licences for v in licence["vehicles"]]


def _soon(expiry: date | None, today: date, days: int) -> bool:
    return expiry is not None and expiry <= today + timedelta(days=days)


def _licence_document(licence: Mapping[str, Any], today: date) -> Iterable[Item]:
    yield Item(licence["number"], "Driving licence photocard", date=licence["expiry_date"])


def _vehicle_tax(vehicle: Mapping[str, Any], today: date) -> Iterable[Item]:
    yield Item(vehicle["registration"], "Vehicle tax", date=vehicle["tax_expiry"])


def _mot(vehicle: Mapping[str, Any], today: date) -> Iterable[Item]:
    yield Item(vehicle["registration"], "MOT certificate", date=vehicle["mot_expiry"])


def _renew_licence(licence: Mapping[str, Any], today: date) -> Iterable[Item]:
    if _soon(licence["expiry_date"], today, RENEW_LICENCE_DAYS):
        yield Item(
            licence["number"], "Renew your driving licence photocard", date=licence["expiry_date"]
        )


def _tax_vehicle(vehicle: Mapping[str, Any], today: date) -> Iterable[Item]:
    if _soon(vehicle["tax_expiry"], today, VEHICLE_REMINDER_DAYS):
        reg = vehicle["registration"]
        yield Item(reg, f"Tax vehicle {reg}", date=vehicle["tax_expiry"])


def _book_mot(vehicle: Mapping[str, Any], today: date) -> Iterable[Item]:
    if _soon(vehicle["mot_expiry"], today, VEHICLE_REMINDER_DAYS):
        reg = vehicle["registration"]
        yield Item(reg, f"Book an MOT for {reg}", date=vehicle["mot_expiry"])


DEPARTMENT = Department(
    id="vehicles",
    name="Driver and vehicle licensing",
    description="Driver and vehicle licensing.",
    level="central",
    record_key="driving licence number",
    label="Driving and vehicles",
    identity=IdentityMapping(
        key="licence",
        surname="surname",
        forenames="forenames",
        date_of_birth="date_of_birth",
        sex="sex",
        postcode="postcode",
        address_lines="address_line1",
        town="town",
        identifiers={"licence": "licence_number", "vrm": "vehicles[].vrm"},
        trust=2,
    ),
    access=AccessPolicy(group="licensing", confidence="P1"),
    record_fields=(
        "licence_number",
        "surname",
        "forenames",
        "date_of_birth",
        "sex",
        "address_line1",
        "town",
        "postcode",
        "status",
        "issue_date",
        "expiry_date",
        "endorsements",
        "vehicles",
    ),
    types=(
        EnumType("LicenceStatus", "State of a driving licence.", _STATUSES),
        RecordType(
            "Endorsement",
            "An endorsement (penalty points) on a driving licence.",
            (
                FieldSpec("offence_code", "str", "Offence code, e.g. `SP30`."),
                FieldSpec("points", "int", "Penalty points."),
                FieldSpec("offence_date", "date?", "Date of the offence."),
            ),
        ),
        RecordType(
            "DrivingLicence",
            "The citizen's driving licence.",
            (
                FieldSpec("number", "str", "Sixteen-character licence number."),
                FieldSpec("status", "LicenceStatus", "Whether the holder may drive."),
                FieldSpec("issue_date", "date?", "Photocard issue date."),
                FieldSpec("expiry_date", "date?", "Photocard expiry date."),
                FieldSpec("endorsements", "[Endorsement]", "Current endorsements."),
                FieldSpec(
                    "penalty_points", "int", "Total penalty points from current endorsements."
                ),
            ),
            node_key="number",
        ),
        RecordType(
            "Vehicle",
            "A vehicle the citizen keeps.",
            (
                FieldSpec("registration", "str", "Registration mark, e.g. `AB12 CDE`."),
                FieldSpec("make", "str?", "Manufacturer."),
                FieldSpec("model", "str?", "Model."),
                FieldSpec("colour", "str?", "Colour."),
                FieldSpec("first_registered", "date?", "Date first registered."),
                FieldSpec("tax_expiry", "date?", "Vehicle tax paid until."),
                FieldSpec("mot_expiry", "date?", "MOT certificate valid until."),
            ),
            node_key="registration",
        ),
    ),
    fields=(
        CitizenField(
            "driving_licence",
            "DrivingLicence",
            "The citizen's driving licence, if they hold one.",
            many=False,
            select=_licence,
        ),
        CitizenField(
            "vehicles",
            "Vehicle",
            "Vehicles the citizen is the registered keeper of.",
            select=_vehicles,
        ),
    ),
    record=licence_values,
    items=(
        ItemRule(
            "documents",
            "DRIVING_LICENCE",
            "Licence photocard.",
            _licence_document,
            field="driving_licence",
        ),
        ItemRule("documents", "VEHICLE_TAX", "Vehicle tax.", _vehicle_tax, field="vehicles"),
        ItemRule("documents", "MOT", "MOT test certificate.", _mot, field="vehicles"),
        ItemRule(
            "tasks",
            "RENEW_LICENCE",
            "Renew the photocard.",
            _renew_licence,
            field="driving_licence",
        ),
        ItemRule("tasks", "TAX_VEHICLE", "Tax a vehicle.", _tax_vehicle, field="vehicles"),
        ItemRule("tasks", "BOOK_MOT", "Book an MOT test.", _book_mot, field="vehicles"),
    ),
    statistics=StatisticsSpec(
        dimensions=("expiry_month", "postcode_area"),
        measures=("vehicles",),
        collection="vehicles",
        conditions=(
            StatisticsCondition(
                "tax_due_within_months",
                "Keeps a vehicle whose tax runs out from the start of this month to the end of "
                "the month `months` - 1 ahead.",
                "tax_expiry",
                months_ahead=True,
            ),
            StatisticsCondition(
                "mot_due_within_months",
                "Keeps a vehicle whose MOT runs out from the start of this month to the end of "
                "the month `months` - 1 ahead.",
                "mot_expiry",
                months_ahead=True,
            ),
        ),
    ),
    cost=3,
)
