"""Cross-department measures: department keys meeting a condition, joined through the index.

Only keys leave each department (never names or addresses); the citizen index maps them to
opaque citizen ids, and a person counts once however many keys they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from legacy_connectors.aggregation import GroupBy, Where

if TYPE_CHECKING:
    from govgraph.statistics.service import StatisticsService

__all__ = ["CHUNK", "citizens_for", "citizens_in_both", "keys_where"]

CHUNK = 5000


async def keys_where(
    service: StatisticsService,
    source: str,
    where: Sequence[Where],
    *,
    group_by: GroupBy | None = None,
    collection: str | None = None,
) -> dict[str, Any]:
    """Keys of source ``source`` with rows meeting ``where`` (and their group value)."""
    upstream = service.source(source)
    found = await upstream.distinct_keys(where=where, group_by=group_by, collection=collection)
    service.count(source, upstream.member_count)
    return found


async def citizens_for(
    service: StatisticsService, source: str, keys: Sequence[str]
) -> dict[str, str]:
    """Citizen id of each linked key of ``source`` (unlinked keys are absent)."""
    out: dict[str, str] = {}
    for start in range(0, len(keys), CHUNK):
        out.update(await service.index.citizens_for(source, list(keys[start : start + CHUNK])))
        service.count("index")
    return out


async def citizens_in_both(
    service: StatisticsService,
    first: tuple[str, dict[str, Any]],
    second: tuple[str, dict[str, Any]],
) -> dict[str, Any]:
    """Citizens holding a key in both ``(source, {key: group})`` sets, with the first's group."""
    (source_a, keys_a), (source_b, keys_b) = first, second
    if not keys_a or not keys_b:
        return {}
    citizens_a = await citizens_for(service, source_a, sorted(keys_a))
    citizens_b = set((await citizens_for(service, source_b, sorted(keys_b))).values())
    out: dict[str, Any] = {}
    for key, citizen in sorted(citizens_a.items()):
        if citizen in citizens_b and citizen not in out:
            out[citizen] = keys_a[key]
    return out
