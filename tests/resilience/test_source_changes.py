"""A source's change feed is a job like a scan: each page under the policy, retried from the
last cursor delivered, an expired cursor passed on for the caller to read the source whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from govgraph.settings import SourceSettings
from govgraph.sources import Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import ChangePage
from legacy_connectors.errors import ChangesExpiredError, UpstreamUnavailableError
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

LOG = [(f"K{i:03d}", {"key": f"K{i:03d}", "balance": i}) for i in range(7)]


class Logged(MemoryConnector):
    """A kind whose feed is a numbered log of changes (the cursor is a position in it); pages
    fail at chosen page numbers, counted over every attempt."""

    def __init__(self, fail_at: tuple[int, ...] = (), trimmed_before: int = 0) -> None:
        super().__init__("memory", MemorySettings())
        self.fail_at = set(fail_at)
        self.trimmed_before = trimmed_before
        self.pages = 0
        self.asked: list[str] = []

    @property
    def tracks_changes(self) -> bool:
        return True

    async def change_cursor(self) -> str:
        return str(len(LOG))

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        self.asked.append(since)
        start = int(since)
        if start < self.trimmed_before:
            raise ChangesExpiredError("memory: the change log starts after that cursor")
        while True:
            self.pages += 1
            if self.pages in self.fail_at:
                raise UpstreamUnavailableError("memory: the upstream dropped the connection")
            end = min(start + batch_size, len(LOG))
            yield ChangePage(LOG[start:end], [], str(end), end < len(LOG))
            if end >= len(LOG):
                return
            start = end


def _source(connector: MemoryConnector, **policy: Any) -> Source:
    settings = SourceSettings.model_validate({"kind": "memory", **policy})
    source = Source("memory", connector, settings, Metrics())
    source.opened = True
    return source


async def _changed(source: Source, since: str) -> list[str]:
    return [key async for page in source.changes(since, 2) for key, _record in page.changed]


async def test_a_failed_page_is_asked_for_again_from_the_last_cursor_delivered() -> None:
    """A page that fails once is asked for again from the previous page's cursor: every
    change comes once, in order."""
    connector = Logged(fail_at=(3,))
    assert await _changed(_source(connector), "0") == [k for k, _ in LOG]
    assert connector.asked == ["0", "4"]


async def test_an_expired_cursor_reaches_the_caller_as_a_typed_error() -> None:
    """A cursor the feed no longer reaches back to raises ``ChangesExpiredError`` naming the
    source, not retried."""
    connector = Logged(trimmed_before=3)
    with pytest.raises(ChangesExpiredError) as caught:
        await _changed(_source(connector), "1")
    assert caught.value.service == "memory"
    assert connector.asked == ["1"]
    assert await _changed(_source(connector), "5") == ["K005", "K006"]


async def test_the_cursor_now_and_a_kind_without_a_feed() -> None:
    """``change_cursor`` gives the feed's position; a kind without a feed says so."""
    assert await _source(Logged()).change_cursor() == str(len(LOG))
    plain = _source(MemoryConnector("memory", MemorySettings()))
    assert plain.tracks_changes is False
    with pytest.raises(NotImplementedError):
        await plain.change_cursor()
    with pytest.raises(NotImplementedError):
        await anext(plain.changes("0").__aiter__())
