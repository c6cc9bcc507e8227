"""Change-feed conformance: what every kind with ``tracks_changes`` must do.

A kind's test provides a :class:`ChangeDriver`, which changes the upstream's records through the
kind's own means (its simulated system, its fixtures: an ``UPDATE``, a write to the service, a
new file generation), and the checks below read the feed back through the
:class:`~legacy_connectors.base.Connector` interface only.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Sequence
from typing import Any

from legacy_connectors.base import ChangePage, Connector, PartialRecords, Record
from legacy_connectors.errors import ChangesExpiredError, LegacyError

__all__ = [
    "ChangeDriver",
    "check_bad_cursor",
    "check_change_during_scan",
    "check_changes_listed",
    "check_cursor_continues",
    "check_expired_cursor",
    "check_nothing_changed",
    "check_removed_keys",
    "read_changes",
    "scanned_keys",
]


class ChangeDriver(abc.ABC):
    """Changes an upstream's records through the kind's own means, for the feed checks."""

    @abc.abstractmethod
    async def change(self, keys: Sequence[str]) -> None:
        """Change at least one value of each key's record (as ``scan`` gives it) upstream."""

    async def remove(self, keys: Sequence[str]) -> bool:
        """Remove every record of ``keys`` upstream; ``False`` when the kind's feed does not
        report removals (the removal check is then skipped)."""
        return False

    async def expire(self, connector: Connector) -> str | None:
        """A cursor of ``connector``'s feed that the feed can no longer reach back to, made so
        through the kind's means (the upstream's log trimmed, an old generation deleted, a
        database restored from an older copy); ``None`` when the kind's feed never expires."""
        return None


async def read_changes(
    connector: Connector, since: str, batch_size: int = 1000
) -> tuple[list[ChangePage], dict[str, list[Record]], list[str]]:
    """Every page after ``since``; the changed records by key (a key's pairs gathered) and the
    removed keys, each checked for shape on the way."""
    pages: list[ChangePage] = []
    changed: dict[str, list[Record]] = {}
    removed: list[str] = []
    feed = connector.changes(since, batch_size)
    async with contextlib.aclosing(feed):  # type: ignore[type-var]
        async for page in feed:
            assert isinstance(page, ChangePage), f"changes yields ChangePage, got {page!r}"
            assert isinstance(page.cursor, str) and page.cursor, "every page carries a cursor"
            assert not pages or pages[-1].more, "no page may follow one whose 'more' is false"
            keys = {key for key, _record in page.changed} | set(page.removed)
            assert len(keys) <= batch_size, (
                f"a page holds at most batch_size={batch_size} keys, got {len(keys)}"
            )
            page_keys: dict[str, list[Record]] = {}
            for pair in page.changed:
                assert isinstance(pair, tuple) and len(pair) == 2, "changed holds (key, record)"
                key, record = pair
                assert isinstance(key, str) and isinstance(record, dict), "pairs are (str, dict)"
                page_keys.setdefault(key, []).append(record)
            assert not set(page_keys) & set(page.removed), "a key is changed or removed, not both"
            for key, records in page_keys.items():
                changed[key] = records
                if key in removed:
                    removed.remove(key)
            for key in page.removed:
                assert isinstance(key, str), "removed holds keys (str)"
                changed.pop(key, None)
                if key not in removed:
                    removed.append(key)
            pages.append(page)
    assert pages, "changes yields at least one page (an empty one when nothing changed)"
    assert not pages[-1].more, "the last page has 'more' false"
    return pages, changed, removed


async def scanned_keys(
    connector: Connector, count: int, avoid: Sequence[str] = ()
) -> dict[str, list[Record]]:
    """``count`` keys from a scan (none of ``avoid``) with their records as ``scan`` gives
    them; stops reading once it has them."""
    found: dict[str, list[Record]] = {}
    skip = set(avoid)
    scan = connector.scan(200)
    async with contextlib.aclosing(scan):  # type: ignore[type-var]
        async for batch in scan:
            for key, record in batch:
                if key not in skip and (key in found or len(found) < count):
                    found.setdefault(key, []).append(record)
            if len(found) >= count and batch and batch[-1][0] not in found:
                break
    assert len(found) >= count, f"the source must hold at least {count} keys to scan"
    return found


async def _current(connector: Connector, keys: Sequence[str]) -> dict[str, list[Record]]:
    """Each key's records now, as ``load_many`` gives them."""
    results = await connector.load_many(list(keys))
    out: dict[str, list[Record]] = {}
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, PartialRecords):
            result = result.records
        assert not isinstance(result, LegacyError), f"key {key!r} failed to load: {result!r}"
        out[key] = [] if result is None else list(result) if isinstance(result, list) else [result]
    return out


def _same(records: Sequence[Record]) -> list[Any]:
    return sorted(repr(sorted(r.items(), key=lambda item: item[0])) for r in records)


async def check_nothing_changed(connector: Connector) -> None:
    """With nothing changed since a cursor: one empty page, ``more`` false, and a cursor that
    again gives nothing."""
    cursor = await connector.change_cursor()
    assert isinstance(cursor, str) and cursor, "change_cursor() returns a non-empty str"
    pages, changed, removed = await read_changes(connector, cursor)
    assert len(pages) == 1, f"nothing changed: expected one page, got {len(pages)}"
    assert not changed and not removed, f"nothing changed, yet got {sorted(changed)} {removed}"
    _, again, gone = await read_changes(connector, pages[-1].cursor)
    assert not again and not gone, "the cursor of an empty page must again give nothing"


async def check_changes_listed(
    connector: Connector, driver: ChangeDriver, avoid: Sequence[str] = ()
) -> None:
    """Records changed after a cursor are listed, exactly those, each once with its current
    values (as ``load_many`` now gives them), also across small pages."""
    before = await scanned_keys(connector, 3, avoid)
    keys = sorted(before)[:3]
    cursor = await connector.change_cursor()
    await driver.change(keys)
    pages, changed, removed = await read_changes(connector, cursor, batch_size=1)
    assert sorted(changed) == keys, f"changed {keys}, the feed listed {sorted(changed)}"
    assert not removed, f"nothing was removed, the feed listed {removed}"
    assert len(pages) >= len(keys), "with batch_size=1 each changed key needs its own page"
    listed = [key for page in pages for key in dict.fromkeys(k for k, _ in page.changed)]
    assert sorted(listed) == keys, f"each changed key is listed once, got {listed}"
    now = await _current(connector, keys)
    for key in keys:
        assert _same(changed[key]) == _same(now[key]), f"{key}: not the record as it is now"
        assert _same(changed[key]) != _same(before[key]), f"{key}: the change is not visible"


async def check_cursor_continues(
    connector: Connector, driver: ChangeDriver, avoid: Sequence[str] = ()
) -> None:
    """The last page's cursor continues after what was read: a later change alone is listed."""
    first, second = sorted(await scanned_keys(connector, 2, avoid))[:2]
    cursor = await connector.change_cursor()
    await driver.change([first])
    pages, changed, _ = await read_changes(connector, cursor)
    assert sorted(changed) == [first], f"expected [{first!r}], got {sorted(changed)}"
    await driver.change([second])
    _, later, gone = await read_changes(connector, pages[-1].cursor)
    assert sorted(later) == [second], f"after the cursor only {second!r}, got {sorted(later)}"
    assert not gone, f"nothing was removed, got {gone}"


async def check_change_during_scan(
    connector: Connector, driver: ChangeDriver, avoid: Sequence[str] = ()
) -> None:
    """A change made while a full scan runs (cursor taken before it) is listed afterwards."""
    [key] = sorted(await scanned_keys(connector, 1, avoid))[:1]
    cursor = await connector.change_cursor()
    scan = connector.scan(5)
    changed_yet = False
    async with contextlib.aclosing(scan):  # type: ignore[type-var]
        async for _batch in scan:
            if not changed_yet:
                await driver.change([key])
                changed_yet = True
    assert changed_yet, "the scan yielded no batch"
    _, changed, _ = await read_changes(connector, cursor)
    assert key in changed, f"{key} changed during the scan, but the feed did not list it"
    now = await _current(connector, [key])
    assert _same(changed[key]) == _same(now[key]), f"{key}: not the record as it is now"


async def check_removed_keys(
    connector: Connector, driver: ChangeDriver, avoid: Sequence[str] = ()
) -> bool:
    """Keys removed after a cursor are listed as removed (and not as changed); ``False`` when
    the driver says the kind does not report removals."""
    [key] = sorted(await scanned_keys(connector, 1, avoid))[:1]
    cursor = await connector.change_cursor()
    if not await driver.remove([key]):
        return False
    _, changed, removed = await read_changes(connector, cursor)
    assert removed == [key], f"removed {key!r}, the feed listed {removed}"
    assert key not in changed, f"{key!r} was removed, yet listed as changed"
    assert not (await _current(connector, [key]))[key], f"{key!r} still loads after removal"
    return True


async def check_expired_cursor(connector: Connector, driver: ChangeDriver) -> bool:
    """A cursor the feed can no longer reach back to raises ``ChangesExpiredError`` (the
    caller then reads the source whole); ``False`` when the kind's feed never expires."""
    cursor = await driver.expire(connector)
    if cursor is None:
        return False
    try:
        await read_changes(connector, cursor)
    except ChangesExpiredError as exc:
        assert not exc.retryable, "an expired cursor is not worth retrying"
        return True
    raise AssertionError("an expired cursor must raise ChangesExpiredError")


async def check_bad_cursor(connector: Connector) -> None:
    """Text that is no cursor of this source gives a typed, not retriable error, never a
    crash."""
    good = await connector.change_cursor()
    for bad in ("", "not a cursor", "{}", "[1, 2]", '{"v": "x"}', good[: len(good) // 2], "\x00"):
        try:
            await read_changes(connector, bad)
        except LegacyError as exc:
            assert not exc.retryable, f"cursor {bad!r}: {type(exc).__name__} must not be retried"
            continue
        except Exception as exc:  # pragma: no cover - the failure being checked for
            raise AssertionError(
                f"cursor {bad!r} raised {type(exc).__name__}, not a LegacyError"
            ) from exc
        raise AssertionError(f"cursor {bad!r} was accepted")
