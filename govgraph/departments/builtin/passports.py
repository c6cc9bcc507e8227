"""The passport office: passports and renewal applications from its SQL database."""

from __future__ import annotations

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsSpec,
    WriteCommand,
)

DEPARTMENT = Department(
    id="passports",
    name="The passport office",
    description="The passport office.",
    level="central",
    record_key="passport number",
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
        dimensions=("expiry_month", "postcode_area"), measures=("passports",)
    ),
    writes=(
        WriteCommand(
            "change_address",
            "An update of the passport's correspondence address.",
            address_change=True,
            key_field="passport_number",
        ),
        WriteCommand("apply_renewal", "A renewal application row the office's system picks up."),
    ),
    cost=3,
    builtin_fields=("passport", "applications"),
    builtin_node_types=("Passport",),
    builtin_items=(
        ("documents", "PASSPORT", "Passport."),
        ("tasks", "RENEW_PASSPORT", "Renew the passport."),
    ),
)
