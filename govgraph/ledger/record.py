"""What one request read: the ledger entries for the citizens whose data it touched."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from govgraph.ledger.chain import AccessEntry
from resolvers.authz import GROUPS

__all__ = ["entries_for_request", "groups_for_sources"]


def groups_for_sources(sources: Set[str]) -> tuple[str, ...]:
    """The field groups whose data comes from any of ``sources``, sorted."""
    return tuple(sorted(g.name for g in GROUPS.values() if not sources.isdisjoint(g.sources)))


def entries_for_request(
    accessed: Mapping[str, Set[str]], principal: Any, request_id: str
) -> list[AccessEntry]:
    """One entry per citizen whose data the request read (none for anonymous requests)."""
    if principal is None or not accessed:
        return []
    actor = principal.subject_hash
    return [
        AccessEntry(
            request_id=request_id,
            actor=actor,
            role=principal.role,
            purpose=principal.purpose,
            citizen_id=citizen_id,
            sources=tuple(sorted(sources)),
            field_groups=groups_for_sources(sources),
        )
        for citizen_id, sources in sorted(accessed.items())
        if sources
    ]
