"""Last-known data: serve a source's previous answer, marked stale, while it cannot answer.

Off by default (``[sources.NAME.stale] enabled = true``): the cache holds records, which may
be personal data, in the gateway's memory, bounded in entries and age. When a read fails with
a retriable error (timeout, unavailable, busy, breaker open), keys answered within
``max_age_s`` get their last answer; the others keep the error. The response then says so
in ``extensions.stale``: each source served from the cache, with the age of its oldest item.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from legacy_connectors.base import PartialRecords, Result
from legacy_connectors.errors import LegacyError

__all__ = ["StaleCache", "StaleSettings", "stale_extension"]


class StaleSettings(BaseModel):
    """Serving last-known data while a source is down."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    enabled: bool = False
    """Keep each key's last answer and serve it, marked stale, when the source fails."""
    max_age_s: float = Field(default=300.0, gt=0)
    """Oldest answer that may be served."""
    max_entries: int = Field(default=10_000, ge=1)
    """Most keys kept (least recently stored out first)."""


class StaleCache:
    """Each key's last good answer with when it was stored (monotonic seconds)."""

    def __init__(self, settings: StaleSettings) -> None:
        self.settings = settings
        self._items: OrderedDict[str, tuple[float, Result]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put_many(self, keys: Sequence[str], results: Sequence[Result]) -> None:
        """Remember answers (records, lists of records, or "no such key"), not errors."""
        now = time.monotonic()
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, LegacyError | PartialRecords):
                continue
            self._items[key] = (now, result)
            self._items.move_to_end(key)
        while len(self._items) > self.settings.max_entries:
            self._items.popitem(last=False)

    def discard(self, keys: Iterable[str]) -> None:
        """Forget the answers for ``keys`` (a write changed them); unknown keys are ignored."""
        for key in keys:
            self._items.pop(key, None)

    def get(self, key: str) -> tuple[Result, float] | None:
        """The last answer for ``key`` and its age in seconds, if young enough."""
        found = self._items.get(key)
        if found is None:
            return None
        age = time.monotonic() - found[0]
        if age > self.settings.max_age_s:
            del self._items[key]
            return None
        return found[1], age


def stale_extension(report: dict[str, float]) -> list[dict[str, Any]]:
    """The ``extensions.stale`` list of a response."""
    return [
        {"service": service, "ageSeconds": round(age, 1)} for service, age in sorted(report.items())
    ]
