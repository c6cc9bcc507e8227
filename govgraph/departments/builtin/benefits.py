"""Work and pensions: benefit claims from the mainframe's EBCDIC batch files, keyed by NINO."""

from __future__ import annotations

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsSpec,
    WriteCommand,
)

DEPARTMENT = Department(
    id="benefits",
    name="Work and pensions",
    description="Work and pensions.",
    level="central",
    record_key="National Insurance number (one record per claim)",
    identity=IdentityMapping(
        key="nino",
        surname="SURNAME",
        forenames="FORENAMES",
        date_of_birth="DATE_OF_BIRTH",
        sex="SEX",
        postcode="POSTCODE",
        address_lines="ADDRESS_LINE",
        town="POST_TOWN",
        trust=3,
    ),
    access=AccessPolicy(group="benefits", confidence="P2"),
    record_fields=(
        "NINO",
        "CLAIM_ID",
        "SURNAME",
        "FORENAMES",
        "DATE_OF_BIRTH",
        "SEX",
        "ADDRESS_LINE",
        "POST_TOWN",
        "POSTCODE",
        "BENEFIT_TYPE",
        "CLAIM_STATUS",
        "AWARD_AMOUNT",
    ),
    statistics=StatisticsSpec(
        dimensions=("benefit", "claim_status", "postcode_area"),
        measures=("claimants", "claims", "award_amount"),
    ),
    writes=(
        WriteCommand(
            "change_address",
            "An address-change transaction record appended to the mainframe's input file.",
            address_change=True,
            key_field="nino",
            receiver="the benefits office",
        ),
    ),
    cost=4,
    builtin_fields=("benefits",),
    builtin_node_types=("BenefitClaim",),
    builtin_items=(
        (
            "obligations",
            "BENEFIT_OVERPAYMENT",
            "Benefit paid in error that must be repaid.",
        ),
        ("entitlements", "BENEFIT_PAYMENT", "Next benefit payment."),
    ),
)
