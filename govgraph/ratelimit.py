"""Per-principal rate limiting with the ``limits`` package (moving window).

Counters live in memory by default, or in Redis when ``gateway.rate_limit_storage`` is a
``redis://`` URL, so that every gateway process shares them. A principal is its token's
subject (hashed); anonymous callers are counted by client address. If Redis cannot be reached
the request is let through and the failure logged: the limit protects capacity, while access
to data is guarded by authorization regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

__all__ = ["RateLimiter", "principal_key"]

log = logging.getLogger("govgraph.ratelimit")

_DISABLED = {"", "none", "off"}


def principal_key(principal: Any, client_host: str | None) -> str:
    """Whose counter a request goes to."""
    if principal is not None:
        return f"{principal.role}:{principal.subject_hash}"
    return f"anonymous:{client_host or 'unknown'}"


def _storage_uri(url: str) -> tuple[str, dict[str, Any]]:
    if url.startswith("async+"):
        url = url[len("async+") :]
    if url.startswith(("redis://", "rediss://")):
        return "async+" + url, {"implementation": "redispy", "key_prefix": "govgraph"}
    if url.startswith("memory://"):
        return "async+memory://", {}
    raise ValueError(
        f"gateway.rate_limit_storage: expected memory:// or redis://host:port, found {url!r}"
    )


class RateLimiter:
    """Counts requests per principal; :meth:`hit` says how long to wait when over the limit."""

    def __init__(self, rate: str | None, storage_url: str = "memory://") -> None:
        self.item: RateLimitItem | None = None
        if rate is not None and rate.strip().lower() not in _DISABLED:
            try:
                self.item = parse(rate)
            except ValueError as exc:
                raise ValueError(
                    f"gateway.rate_limit: expected e.g. '600/minute', found {rate!r}"
                ) from exc
        self.uri, self._options = _storage_uri(storage_url)
        self._storage: Storage | None = None
        self._limiter: MovingWindowRateLimiter | None = None

    @property
    def enabled(self) -> bool:
        return self.item is not None

    async def open(self) -> None:
        """Create the counters' storage (connections are made on first use)."""
        if self.item is None:
            return
        storage = storage_from_string(self.uri, **self._options)
        assert isinstance(storage, Storage)
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def aclose(self) -> None:
        storage, self._storage, self._limiter = self._storage, None, None
        if isinstance(storage, MemoryStorage) and storage.timer is not None:
            storage.timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await storage.timer
        bridge = getattr(storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()

    async def hit(self, key: str) -> float | None:
        """Count one request for ``key``; ``None`` if allowed, else seconds until allowed."""
        if self.item is None or self._limiter is None:
            return None
        try:
            if await self._limiter.hit(self.item, key):
                return None
            stats = await self._limiter.get_window_stats(self.item, key)
        except Exception as exc:
            log.warning("rate limit storage failed: %s", type(exc).__name__)
            return None
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    async def clear(self, key: str) -> None:
        """Forget ``key``'s counter (operators, tests)."""
        if self.item is not None and self._limiter is not None:
            await self._limiter.clear(self.item, key)
