"""Revenue and customs: income tax accounts from the SOAP tax service, keyed by NINO."""

from __future__ import annotations

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsSpec,
    WriteCommand,
)

DEPARTMENT = Department(
    id="tax",
    name="Revenue and customs",
    description="Revenue and customs.",
    level="central",
    record_key="National Insurance number",
    identity=IdentityMapping(
        key="nino",
        surname="Name.FamilyName",
        given_name="Name.GivenName",
        middle_names="Name.MiddleNames",
        date_of_birth="DateOfBirth",
        sex="Sex",
        postcode="Address.PostCode",
        address_lines="Address.Line",
        town="Address.Town",
        trust=1,
    ),
    access=AccessPolicy(group="tax", confidence="P2"),
    record_fields=(
        "Nino",
        "Name",
        "DateOfBirth",
        "Sex",
        "Address",
        "TaxCode",
        "SelfAssessmentStatus",
        "Account",
        "TaxYear",
    ),
    statistics=StatisticsSpec(dimensions=("tax_band", "postcode_area"), measures=("balance_owed",)),
    writes=(
        WriteCommand(
            "change_address",
            "The tax service's address-change operation, one per NINO.",
            address_change=True,
            key_field="nino",
            receiver="the tax office",
        ),
    ),
    cost=10,
    builtin_fields=("tax",),
    builtin_items=(
        ("obligations", "TAX_PAYMENT", "A tax payment due."),
        ("entitlements", "TAX_REFUND", "Tax to be repaid."),
        ("tasks", "PAY_TAX", "Pay tax due."),
        ("tasks", "FILE_TAX_RETURN", "File a tax return."),
    ),
)
