"""Local councils' parking services: penalty charge notices, keyed by vehicle registration."""

from __future__ import annotations

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsSpec,
    WriteCommand,
)

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
