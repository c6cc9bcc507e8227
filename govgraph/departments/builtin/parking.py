"""Local councils' parking services: penalty charge notices, keyed by vehicle registration."""

from __future__ import annotations

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
    StatisticsSpec,
    WriteCommand,
)

_STATUSES = ("OPEN", "PAID", "CANCELLED", "APPEALED", "CHARGE_CERTIFICATE")

DEPARTMENT = Department(
    id="parking",
    name="Local councils' parking services",
    description="Local councils' parking services.",
    level="local",
    record_key="vehicle registration mark (one record per notice, from every council)",
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
    builtin_fields=("parking_fines",),
    builtin_node_types=("PenaltyNotice",),
    builtin_items=(
        ("obligations", "PENALTY_NOTICE", "An unpaid penalty."),
        ("tasks", "PAY_PENALTY", "Pay a penalty notice."),
    ),
)
