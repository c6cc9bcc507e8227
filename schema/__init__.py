"""The GraphQL schema: citizen-centric types; no department's system shows through."""

from __future__ import annotations

import strawberry

from schema.citizen import Citizen
from schema.departments import BenefitClaim, DrivingLicence, Passport, PenaltyNotice, Vehicle
from schema.mutations import Mutation
from schema.property import PropertyTitle
from schema.query import Query

__all__ = ["build_schema"]


def build_schema() -> strawberry.Schema:
    """Build the gateway's schema (once per app)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[
            Citizen,
            Passport,
            DrivingLicence,
            Vehicle,
            BenefitClaim,
            PenaltyNotice,
            PropertyTitle,
        ],
    )
