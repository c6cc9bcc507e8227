"""Rate limiting with the ``limits`` package (moving window): per principal, and failed
authentications per client address.

Counters live in a :class:`CounterStore`: memory by default, or Redis when
``gateway.rate_limit_storage`` is a ``redis://`` URL, so that every gateway process shares them.
One store serves every limit. A principal is its token's subject (hashed); anonymous callers
and failed authentications are counted by client address. If Redis cannot be reached the
per-principal limit fails open or closed as configured (``gateway.rate_limit_on_store_failure``):
``open`` (the default) lets the request through and logs the failure, since the limits protect
capacity while access to data is guarded by authentication and authorization regardless;
``closed`` refuses it with :class:`CounterStoreUnavailable`. The failed-authentication limit
always fails open (refusing every token while Redis is away would lock everyone out).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import Any, Protocol

from limits import RateLimitItem, WindowStats, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

__all__ = ["CounterStore", "CounterStoreUnavailable", "RateLimiter", "principal_key"]

log = logging.getLogger("govgraph.ratelimit")

_DISABLED = {"", "none", "off"}
_SWEEP_S = 60.0
"""How often, at most, counters of idle keys are looked for (on a hit)."""


class CounterStoreUnavailable(RuntimeError):
    """The counter store could not be reached and the limit is configured to fail closed."""


def principal_key(principal: Any, client_host: str | None) -> str:
    """Whose counter a request goes to."""
    if principal is not None:
        return f"{principal.role}:{principal.subject_hash}"
    return f"anonymous:{client_host or 'unknown'}"


def _storage_uri(url: str, key_prefix: str) -> tuple[str, dict[str, Any]]:
    if url.startswith("async+"):
        url = url[len("async+") :]
    if url.startswith(("redis://", "rediss://")):
        return "async+" + url, {"implementation": "redispy", "key_prefix": key_prefix}
    if url.startswith("memory://"):
        return "async+memory://", {}
    raise ValueError(
        f"gateway.rate_limit_storage: expected memory:// or redis://host:port, found {url!r}"
    )


class WindowLimiter(Protocol):
    """The moving-window operations :class:`RateLimiter` uses (``limits``' async strategy)."""

    async def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool: ...

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats: ...

    async def clear(self, item: RateLimitItem, *identifiers: str) -> None: ...


class _InProcessWindow:
    """A moving window counted in this process, as ``limits``' memory storage counts it
    (``reset_time`` is the oldest counted hit plus the window), without its expiry thread.

    ``limits``' synchronous memory storage starts a ``threading.Timer`` 10 ms after any hit
    when none is running, i.e. about a hundred thread starts a second under load, each
    walking every key under its lock (about 2% of the gateway's CPU under 32 connections,
    plus the contention for the interpreter lock); its async storage hops to a worker thread
    per key. Here a key's expired hits are dropped when the key is next used, and keys left
    idle are swept on a hit at most every :data:`_SWEEP_S` seconds.
    """

    def __init__(self) -> None:
        self._hits: dict[str, tuple[int, deque[float]]] = {}
        """Each key's window length (s) and the times of its hits in the window, oldest first."""
        self._next_sweep = time.time() + _SWEEP_S

    def _window(
        self, item: RateLimitItem, identifiers: tuple[str, ...], now: float
    ) -> deque[float]:
        key = item.key_for(*identifiers)
        found = self._hits.get(key)
        if found is None:
            found = self._hits[key] = (item.get_expiry(), deque())
        expiry, hits = found
        while hits and hits[0] <= now - expiry:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_S
        idle = [
            k for k, (expiry, hits) in self._hits.items() if not hits or hits[-1] <= now - expiry
        ]
        for key in idle:
            del self._hits[key]

    async def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        now = time.time()
        self._sweep(now)
        hits = self._window(item, identifiers, now)
        if len(hits) + cost > item.amount:
            return False
        hits.extend([now] * cost)
        return True

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        now = time.time()
        hits = self._window(item, identifiers, now)
        start = hits[0] if hits else now
        return WindowStats(start + item.get_expiry(), max(0, item.amount - len(hits)))

    async def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        self._hits.pop(item.key_for(*identifiers), None)

    def close(self) -> None:
        self._hits.clear()


class CounterStore:
    """Where rate-limit counters live (memory, or Redis under ``key_prefix``); one store is
    shared by every limit of a gateway."""

    def __init__(self, url: str = "memory://", *, key_prefix: str = "govgraph") -> None:
        if not key_prefix:
            raise ValueError("gateway.rate_limit_key_prefix: expected a non-empty prefix")
        self.uri, self._options = _storage_uri(url, key_prefix)
        self._storage: Storage | None = None
        self.limiter: WindowLimiter | None = None
        """The moving-window strategy over the store, once :meth:`open`."""

    async def open(self) -> None:
        """Create the storage (connections are made on first use); opening twice is a no-op."""
        if self.limiter is not None:
            return
        if self.uri == "async+memory://":
            self.limiter = _InProcessWindow()
            return
        storage = storage_from_string(self.uri, **self._options)
        assert isinstance(storage, Storage)
        self._storage = storage
        self.limiter = MovingWindowRateLimiter(storage)

    async def aclose(self) -> None:
        storage, limiter = self._storage, self.limiter
        self._storage, self.limiter = None, None
        if isinstance(limiter, _InProcessWindow):
            limiter.close()
        bridge = getattr(storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()


class RateLimiter:
    """Counts events per key against one rate; :meth:`hit` and :meth:`check` say how long to
    wait when over it.

    ``store`` is a :class:`CounterStore` shared with other limits (its owner opens and closes
    it), or a storage URL for a store of this limiter's own. ``setting`` names the rate in
    error messages; ``namespace`` keeps this limit's keys apart from other limits' in a shared
    store."""

    def __init__(
        self,
        rate: str | None,
        store: CounterStore | str = "memory://",
        *,
        setting: str = "gateway.rate_limit",
        namespace: str = "",
        fail_closed: bool = False,
    ) -> None:
        self.item: RateLimitItem | None = None
        self.rate = rate
        if rate is not None and rate.strip().lower() not in _DISABLED:
            try:
                self.item = parse(rate)
            except ValueError as exc:
                raise ValueError(f"{setting}: expected e.g. '600/minute', found {rate!r}") from exc
        self._owns_store = not isinstance(store, CounterStore)
        self.store = store if isinstance(store, CounterStore) else CounterStore(store)
        self.namespace = namespace
        self.fail_closed = fail_closed
        """Raise :class:`CounterStoreUnavailable` when the store fails (else allow the event)."""

    @property
    def enabled(self) -> bool:
        return self.item is not None

    async def open(self) -> None:
        """Open this limiter's own store (a shared store is opened by its owner)."""
        if self.item is not None and self._owns_store:
            await self.store.open()

    async def aclose(self) -> None:
        if self._owns_store:
            await self.store.aclose()

    def _ready(self) -> tuple[RateLimitItem, WindowLimiter] | None:
        if self.item is None or self.store.limiter is None:
            return None
        return self.item, self.store.limiter

    async def hit(self, key: str) -> float | None:
        """Count one event for ``key``; ``None`` if allowed, else seconds until allowed."""
        ready = self._ready()
        if ready is None:
            return None
        item, limiter = ready
        try:
            if await limiter.hit(item, self.namespace + key):
                return None
            stats = await limiter.get_window_stats(item, self.namespace + key)
        except Exception as exc:
            self._store_failed(exc)
            return None
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    def _store_failed(self, exc: Exception) -> None:
        log.warning(
            "rate limit storage failed: %s (failing %s)",
            type(exc).__name__,
            "closed" if self.fail_closed else "open",
        )
        if self.fail_closed:
            raise CounterStoreUnavailable("the rate-limit counters cannot be reached") from exc

    async def check(self, key: str) -> float | None:
        """Without counting: ``None`` if ``key`` may have another event, else seconds to wait."""
        ready = self._ready()
        if ready is None:
            return None
        item, limiter = ready
        try:
            stats = await limiter.get_window_stats(item, self.namespace + key)
        except Exception as exc:
            self._store_failed(exc)
            return None
        if stats.remaining > 0:
            return None
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    async def clear(self, key: str) -> None:
        """Forget ``key``'s counter (operators, tests)."""
        ready = self._ready()
        if ready is not None:
            await ready[1].clear(ready[0], self.namespace + key)
