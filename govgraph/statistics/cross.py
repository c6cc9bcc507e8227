"""Across departments: department keys to citizens through the citizen index.

Only keys leave each department (never names or addresses); the citizen index maps them to
opaque citizen ids, and a person counts once however many keys they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govgraph.statistics.service import StatisticsService

__all__ = ["CHUNK", "citizens_for"]

CHUNK = 5000


async def citizens_for(
    service: StatisticsService, source: str, keys: Sequence[str]
) -> dict[str, str]:
    """Citizen id of each linked key of ``source`` (unlinked keys are absent)."""
    out: dict[str, str] = {}
    for start in range(0, len(keys), CHUNK):
        out.update(await service.index.citizens_for(source, list(keys[start : start + CHUNK])))
        service.count("index")
    return out
