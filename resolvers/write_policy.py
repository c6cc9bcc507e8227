"""Access policy entries for the write fields, added to the policy tables of ``resolvers.authz``.

Mutations act for the signed-in citizen only (each resolver also checks that the records it
touches are the citizen's own); ``addressChange`` shows a change to the citizen who reported
it; ``Citizen.applications`` reads the passport office, like ``Citizen.passport``. Entries
already present in the policy tables are left as they are.
"""

from __future__ import annotations

from resolvers.authz import CITIZEN_FIELD_GROUPS, ROOT_ROLES

__all__ = ["WRITE_CITIZEN_FIELDS", "WRITE_ROOTS", "register"]

WRITE_ROOTS: dict[str, frozenset[str]] = {
    "payPenaltyNotice": frozenset({"citizen"}),
    "changeAddress": frozenset({"citizen"}),
    "applyForPassportRenewal": frozenset({"citizen"}),
    "addressChange": frozenset({"citizen"}),
}
"""Roles that may use each write root field."""

WRITE_CITIZEN_FIELDS: dict[str, tuple[str, ...]] = {"applications": ("passport",)}
"""Field groups of the ``Citizen`` fields added for writes."""


def register() -> None:
    """Add the write fields' entries to the policy tables (idempotent)."""
    for field, roles in WRITE_ROOTS.items():
        ROOT_ROLES.setdefault(field, roles)
    for field, groups in WRITE_CITIZEN_FIELDS.items():
        CITIZEN_FIELD_GROUPS.setdefault(field, groups)
