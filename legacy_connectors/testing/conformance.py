"""The shared test class every connector kind must pass.

Subclass it in a test module (the subclass's name must start with ``Test``), set ``kind`` and
provide three fixtures; pytest then collects every test below for your kind::

    from legacy_connectors.testing import ConnectorConformance

    class TestMyKindConformance(ConnectorConformance):
        kind = "mykind"

        @pytest.fixture
        def connector_options(self, my_upstream):
            return {"url": my_upstream.url}

        @pytest.fixture
        def known_keys(self):
            return ["A1", "A2", "A3"]

        @pytest.fixture
        def missing_keys(self):
            return ["ZZ999"]

Optional fixtures: ``failing_key`` (a key the upstream holds but cannot serve, e.g. a corrupt
record), ``unreachable_options`` (options pointing at an upstream that is not there),
``write_command`` (a ``(command, payload)`` the source accepts through ``submit``),
``change_driver`` (a :class:`~legacy_connectors.testing.changes.ChangeDriver` that changes
records through the kind's own means: required when the kind's ``tracks_changes`` is true, for
the change-feed tests) and ``connector`` (override it to build the connector yourself; by
default it is loaded through the registry by ``kind``, built from ``connector_options``, opened
and closed per test). The change-feed tests change, and may remove, records of the upstream
other than ``known_keys`` and ``failing_key``.
The tests need ``pytest-asyncio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from legacy_connectors.base import Connector
from legacy_connectors.registry import load_kind
from legacy_connectors.testing import changes, checks
from legacy_connectors.testing.changes import ChangeDriver

__all__ = ["ConnectorConformance"]


class ConnectorConformance:
    """Conformance tests for one connector kind; subclass, set ``kind``, provide fixtures."""

    kind: ClassVar[str]
    """The kind's registered name; it is loaded through the registry (entry points included)."""
    source_name: ClassVar[str] = "conformance"
    """The source name the connector is built under."""
    concurrent_calls: ClassVar[int] = 20
    """How many ``load_many`` calls the concurrency test runs at once."""

    @pytest.fixture
    def connector_options(self) -> Mapping[str, Any]:
        """Options (the kind's ``Settings``) for a reachable upstream. Override this."""
        raise NotImplementedError("override the connector_options fixture")

    @pytest.fixture
    def known_keys(self) -> Sequence[str]:
        """Keys the upstream holds (at least two, distinct). Override this."""
        raise NotImplementedError("override the known_keys fixture")

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        """Well-formed keys the upstream does not hold (at least one). Override this."""
        raise NotImplementedError("override the missing_keys fixture")

    @pytest.fixture
    def failing_key(self) -> str | None:
        """A key whose record exists but cannot be served (``None``: the test is skipped)."""
        return None

    @pytest.fixture
    def unreachable_options(self) -> Mapping[str, Any] | None:
        """Options pointing at an upstream that is not there (``None``: the test is skipped)."""
        return None

    @pytest.fixture
    def write_command(self) -> tuple[str, Mapping[str, Any]] | None:
        """A write command the source accepts and its payload (``None``: the test is skipped)."""
        return None

    @pytest.fixture
    def change_driver(self) -> ChangeDriver | None:
        """Changes the upstream's records through the kind's own means (``None``: the kind has
        no change feed; a kind whose ``tracks_changes`` is true must provide one)."""
        return None

    @pytest.fixture
    def connector_class(self) -> type[Connector]:
        """The kind's class, loaded through the registry."""
        return load_kind(self.kind)

    @pytest_asyncio.fixture
    async def connector(
        self, connector_class: type[Connector], connector_options: Mapping[str, Any]
    ) -> AsyncIterator[Connector]:
        """An opened connector, closed after the test."""
        connector = connector_class.from_options(self.source_name, connector_options)
        await connector.open()
        try:
            yield connector
        finally:
            await connector.aclose()

    def test_kind_is_registered(
        self, connector_class: type[Connector], connector_options: Mapping[str, Any]
    ) -> None:
        """The registry loads the kind by name, and the class declares that name."""
        assert connector_class.kind == self.kind, (
            f"class {connector_class.__name__} declares kind {connector_class.kind!r}, "
            f"registered as {self.kind!r}"
        )
        assert issubclass(connector_class, Connector)

    def test_settings_are_documented_and_strict(
        self, connector_class: type[Connector], connector_options: Mapping[str, Any]
    ) -> None:
        """Settings document every field, accept the test options and reject unknown keys."""
        checks.check_settings(connector_class, dict(connector_options))

    @pytest.mark.asyncio
    async def test_batch_matches_single_calls(
        self, connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
    ) -> None:
        """Results match keys in length and order, as if each key were asked for alone."""
        await checks.check_batch_matches_single_calls(connector, known_keys, missing_keys)

    @pytest.mark.asyncio
    async def test_duplicates_and_empty_batch(
        self, connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
    ) -> None:
        """Duplicated keys each get their result and an empty batch gives an empty list."""
        await checks.check_duplicates_and_empty_batch(connector, known_keys, missing_keys)

    @pytest.mark.asyncio
    async def test_missing_keys_give_none(
        self, connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
    ) -> None:
        """Unknown keys give None (or [] for sources that hold many records per key)."""
        await checks.check_missing_keys(connector, known_keys, missing_keys)

    @pytest.mark.asyncio
    async def test_failing_key_stays_per_key(
        self, connector: Connector, known_keys: Sequence[str], failing_key: str | None
    ) -> None:
        """A key that cannot be served gets a typed error in its place; the others are served."""
        if failing_key is None:
            pytest.skip("no failing_key fixture for this kind")
        await checks.check_failing_key_stays_per_key(connector, known_keys, failing_key)

    @pytest.mark.asyncio
    async def test_health_reports(self, connector: Connector) -> None:
        """health() returns a Health, not down for a reachable upstream."""
        await checks.check_health(connector)

    @pytest.mark.asyncio
    async def test_aclose_is_idempotent(
        self,
        connector_class: type[Connector],
        connector_options: Mapping[str, Any],
        known_keys: Sequence[str],
    ) -> None:
        """aclose() can be called twice, and on a connector that was never opened."""

        async def factory() -> Connector:
            return connector_class.from_options(self.source_name, connector_options)

        await checks.check_aclose_idempotent(factory, known_keys[0])

    @pytest.mark.asyncio
    async def test_concurrent_batches_match_sequential(
        self, connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
    ) -> None:
        """Concurrent load_many calls give the same results as the same calls in sequence."""
        await checks.check_concurrent_batches(
            connector, known_keys, missing_keys, self.concurrent_calls
        )

    @pytest.mark.asyncio
    async def test_scan_batches_load_back(self, connector: Connector) -> None:
        """If the kind can scan, its batches are (key, record) pairs that load_many finds."""
        if not await checks.check_scan(connector):
            pytest.skip(f"connector kind {self.kind!r} cannot scan")

    @pytest.mark.asyncio
    async def test_writes_are_idempotent_by_delivery_id(
        self, connector: Connector, write_command: tuple[str, Mapping[str, Any]] | None
    ) -> None:
        """A write is accepted once; the same delivery id again is reported as a duplicate."""
        if write_command is None:
            pytest.skip("no write_command fixture for this kind")
        command, payload = write_command
        await checks.check_submit_is_idempotent(connector, command, payload)

    @pytest.mark.asyncio
    async def test_unreachable_upstream_gives_typed_errors(
        self,
        connector_class: type[Connector],
        unreachable_options: Mapping[str, Any] | None,
        known_keys: Sequence[str],
    ) -> None:
        """An unreachable upstream gives typed errors and a down health, never a crash."""
        if unreachable_options is None:
            pytest.skip("no unreachable_options fixture for this kind")
        options = unreachable_options

        async def factory() -> Connector:
            return connector_class.from_options(self.source_name, options)

        await checks.check_unreachable(factory, known_keys[0])

    # -- change feed (kinds whose tracks_changes is true) ----------------------------------

    @pytest.fixture
    def feed_driver(self, connector: Connector, change_driver: ChangeDriver | None) -> ChangeDriver:
        """The change driver of a kind with a change feed (skips kinds without one)."""
        if not connector.tracks_changes:
            pytest.skip(f"connector kind {self.kind!r} has no change feed")
        assert change_driver is not None, (
            f"kind {self.kind!r} tracks changes: provide the change_driver fixture"
        )
        return change_driver

    @pytest.fixture
    def unchanged_keys(self, known_keys: Sequence[str], failing_key: str | None) -> list[str]:
        """Keys the change-feed tests leave alone (the other tests rely on them)."""
        return [*known_keys, *([failing_key] if failing_key else [])]

    @pytest.mark.asyncio
    async def test_change_feed_empty_when_nothing_changed(self, connector: Connector) -> None:
        """With nothing changed after a cursor the feed gives one empty page and a cursor."""
        if not connector.tracks_changes:
            pytest.skip(f"connector kind {self.kind!r} has no change feed")
        await changes.check_nothing_changed(connector)

    @pytest.mark.asyncio
    async def test_change_feed_lists_changed_records(
        self, connector: Connector, feed_driver: ChangeDriver, unchanged_keys: list[str]
    ) -> None:
        """Records changed upstream are listed, exactly those, once each, as they are now."""
        await changes.check_changes_listed(connector, feed_driver, unchanged_keys)

    @pytest.mark.asyncio
    async def test_change_feed_cursor_continues(
        self, connector: Connector, feed_driver: ChangeDriver, unchanged_keys: list[str]
    ) -> None:
        """A page's cursor continues after it: a later change is listed alone."""
        await changes.check_cursor_continues(connector, feed_driver, unchanged_keys)

    @pytest.mark.asyncio
    async def test_change_feed_sees_change_made_during_scan(
        self, connector: Connector, feed_driver: ChangeDriver, unchanged_keys: list[str]
    ) -> None:
        """A change made during a full scan, after the cursor was taken, is not lost."""
        await changes.check_change_during_scan(connector, feed_driver, unchanged_keys)

    @pytest.mark.asyncio
    async def test_change_feed_lists_removed_keys(
        self, connector: Connector, feed_driver: ChangeDriver, unchanged_keys: list[str]
    ) -> None:
        """Keys removed upstream are listed as removed (when the kind reports removals)."""
        if not await changes.check_removed_keys(connector, feed_driver, unchanged_keys):
            pytest.skip(f"the {self.kind!r} source's feed does not report removals")

    @pytest.mark.asyncio
    async def test_change_feed_expired_cursor_is_typed(
        self, connector: Connector, feed_driver: ChangeDriver
    ) -> None:
        """A cursor the feed no longer reaches back to raises ChangesExpiredError."""
        if not await changes.check_expired_cursor(connector, feed_driver):
            pytest.skip(f"the {self.kind!r} source's feed never expires")

    @pytest.mark.asyncio
    async def test_change_feed_bad_cursor_is_typed(self, connector: Connector) -> None:
        """A cursor text this source never gave is a typed error, not a crash."""
        if not connector.tracks_changes:
            pytest.skip(f"connector kind {self.kind!r} has no change feed")
        await changes.check_bad_cursor(connector)
