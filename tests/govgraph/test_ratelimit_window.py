"""The in-process moving window of the rate limiter (memory store), over real time."""

from __future__ import annotations

import asyncio
import threading

import pytest

from govgraph.ratelimit import RateLimiter

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_key_over_its_rate_waits_until_its_oldest_hit_leaves_the_window() -> None:
    """Three hits a second: the fourth is refused with the wait until the first expires."""
    limiter = RateLimiter("3/second")
    await limiter.open()
    try:
        assert [await limiter.hit("k") for _ in range(3)] == [None, None, None]
        wait = await limiter.hit("k")
        assert wait is not None and 0 < wait <= 1
        assert await limiter.hit("other") is None
        await asyncio.sleep(1.05)
        assert await limiter.hit("k") is None
    finally:
        await limiter.aclose()


async def test_counting_starts_no_thread() -> None:
    """Hits are counted on the caller's thread: no timer or worker thread runs after a hit."""
    limiter = RateLimiter("1000/minute")
    await limiter.open()
    await asyncio.sleep(0.05)
    before = threading.active_count()
    try:
        for i in range(20):
            await limiter.hit(f"key-{i % 7}")
            assert threading.active_count() <= before, f"a thread was started by hit {i}"
    finally:
        await limiter.aclose()
