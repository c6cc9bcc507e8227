"""Driver and vehicle licensing: driving licences and the vehicles their holders keep."""

from __future__ import annotations

from govgraph.departments.model import AccessPolicy, Department, IdentityMapping, StatisticsSpec

DEPARTMENT = Department(
    id="vehicles",
    name="Driver and vehicle licensing",
    description="Driver and vehicle licensing.",
    level="central",
    record_key="driving licence number",
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
    statistics=StatisticsSpec(dimensions=("expiry_month", "postcode_area"), measures=("vehicles",)),
    cost=3,
    builtin_fields=("driving_licence", "vehicles"),
    builtin_node_types=("DrivingLicence", "Vehicle"),
    builtin_items=(
        ("documents", "DRIVING_LICENCE", "Licence photocard."),
        ("documents", "VEHICLE_TAX", "Vehicle tax."),
        ("documents", "MOT", "MOT test certificate."),
        ("tasks", "RENEW_LICENCE", "Renew the photocard."),
        ("tasks", "TAX_VEHICLE", "Tax a vehicle."),
        ("tasks", "BOOK_MOT", "Book an MOT test."),
    ),
)
