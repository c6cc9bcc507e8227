"""What one request read: the ledger entries for the citizens whose data it touched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any

from govgraph.ledger.chain import AccessEntry

__all__ = ["entries_for_request", "groups_for_sources"]


def groups_for_sources(
    sources: Set[str], field_groups: Mapping[str, Iterable[str]]
) -> tuple[str, ...]:
    """The field groups (of ``field_groups``: name to the sources it shows) whose data comes
    from any of ``sources``, sorted."""
    return tuple(
        sorted(name for name, shown in field_groups.items() if not sources.isdisjoint(shown))
    )


def entries_for_request(
    accessed: Mapping[str, Set[str]],
    principal: Any,
    request_id: str,
    field_groups: Mapping[str, Iterable[str]],
) -> list[AccessEntry]:
    """One entry per citizen whose data the request read (none for anonymous requests).

    ``field_groups`` maps each authorization field group to the sources its fields show.
    """
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
            field_groups=groups_for_sources(sources, field_groups),
        )
        for citizen_id, sources in sorted(accessed.items())
        if sources
    ]
