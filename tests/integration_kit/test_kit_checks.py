"""The conformance checks catch connectors that break the contract, each with a clear message."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from legacy_connectors.base import Connector, Health, Result
from legacy_connectors.errors import CorruptRecordError, UpstreamUnavailableError
from legacy_connectors.testing import MemoryConnector, MemorySettings, checks

RECORDS = {f"K{n}": {"ref": f"K{n}"} for n in range(1, 6)}
KNOWN = ["K1", "K2", "K3"]
MISSING = ["K9"]


class Flawed(MemoryConnector):
    """A memory connector with one deliberate flaw, chosen by ``flaw``."""

    flaw: ClassVar[str] = ""

    def __init__(self, name: str, settings: MemorySettings) -> None:
        super().__init__(name, settings)
        self._pending: list[str] = []
        self._closed = False

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        if self.flaw == "racy":
            self._pending = list(keys)
            await asyncio.sleep(0.001 * len(keys))
            pending = self._pending
            return [RECORDS.get(pending[i % len(pending)]) for i in range(len(keys))]
        if self.flaw == "batch_raises" and set(keys) & set(self.settings.corrupt_keys):
            raise CorruptRecordError("the batch could not be decoded")
        results: list[Any] = await super().load_many(keys)
        if self.flaw == "reversed" and len(keys) > 1:
            results.reverse()
        elif self.flaw == "short" and keys:
            results.pop()
        elif self.flaw == "empty_dict":
            results = [{} if r is None else r for r in results]
        elif self.flaw == "untyped_error":
            results = [
                ValueError("bad") if isinstance(r, CorruptRecordError) else r for r in results
            ]
        elif self.flaw == "leaky_error":
            results = [
                CorruptRecordError(f"record {k} is corrupt") if isinstance(r, Exception) else r
                for k, r in zip(keys, results, strict=True)
            ]
        return results

    async def health(self) -> Health:
        if self.flaw == "health_dict":
            return {"status": "up"}  # type: ignore[return-value]
        if self.flaw == "always_up":
            return Health(status="up")
        return await super().health()

    async def submit(self, command: str, payload: Any, *, delivery_id: str) -> dict[str, Any]:
        if self.flaw == "not_idempotent":
            return {"outcome": "ACCEPTED"}
        return await super().submit(command, payload, delivery_id=delivery_id)

    async def aclose(self) -> None:
        if self.flaw == "close_twice" and self._closed:
            raise RuntimeError("already closed")
        self._closed = True


def flawed(flaw: str, **options: Any) -> Connector:
    cls = type(f"Flawed_{flaw}", (Flawed,), {"flaw": flaw})
    settings = {"records": RECORDS, "corrupt_keys": ["K5"], "commands": ["note"], **options}
    return cls.from_options("flawed", settings)


async def test_sound_connector_passes_every_check() -> None:
    """The reference connector passes every check, so the checks below fail for the flaw alone."""
    good = flawed("")
    await checks.check_batch_matches_single_calls(good, KNOWN, MISSING)
    await checks.check_duplicates_and_empty_batch(good, KNOWN, MISSING)
    await checks.check_missing_keys(good, KNOWN, MISSING)
    await checks.check_failing_key_stays_per_key(good, KNOWN, "K5")
    await checks.check_health(good)
    await checks.check_concurrent_batches(good, KNOWN, MISSING)
    assert await checks.check_scan(good)
    await checks.check_submit_is_idempotent(good, "note", {"text": "hello"})


async def test_reordered_results_fail() -> None:
    """Results returned in another order than the keys fail the order check."""
    with pytest.raises(AssertionError, match="differs from asking for that key alone"):
        await checks.check_batch_matches_single_calls(flawed("reversed"), KNOWN, MISSING)


async def test_short_results_fail() -> None:
    """Fewer results than keys fail with both counts named."""
    with pytest.raises(AssertionError, match=r"returned 3 results for 4 keys"):
        await checks.check_batch_matches_single_calls(flawed("short"), KNOWN, MISSING)


async def test_empty_record_for_missing_key_fails() -> None:
    """A missing key answered with an empty record instead of None fails."""
    with pytest.raises(AssertionError, match="must give None"):
        await checks.check_missing_keys(flawed("empty_dict"), KNOWN, MISSING)


async def test_per_key_failure_failing_the_batch_fails() -> None:
    """A bad key that fails the whole batch fails the per-key check."""
    with pytest.raises(AssertionError, match="failed the whole batch"):
        await checks.check_failing_key_stays_per_key(flawed("batch_raises"), KNOWN, "K5")


async def test_untyped_error_fails() -> None:
    """A per-key error that is not a LegacyError fails."""
    with pytest.raises(AssertionError, match="LegacyError subclasses, got ValueError"):
        await checks.check_failing_key_stays_per_key(flawed("untyped_error"), KNOWN, "K5")


async def test_error_naming_its_key_fails() -> None:
    """An error message that contains the key it is about fails."""
    with pytest.raises(AssertionError, match="must not contain the key"):
        await checks.check_failing_key_stays_per_key(flawed("leaky_error"), KNOWN, "K5")


async def test_health_of_wrong_type_fails() -> None:
    """health() returning anything but Health fails."""
    with pytest.raises(AssertionError, match="must return Health"):
        await checks.check_health(flawed("health_dict"))


async def test_second_aclose_raising_fails() -> None:
    """aclose() that raises on a second call fails the idempotence check."""

    async def factory() -> Connector:
        return flawed("close_twice")

    with pytest.raises(RuntimeError, match="already closed"):
        await checks.check_aclose_idempotent(factory, "K1")


async def test_shared_state_across_calls_fails_concurrency() -> None:
    """A connector keeping per-call state on itself gives mixed results under concurrency."""
    with pytest.raises(AssertionError, match="concurrent call"):
        await checks.check_concurrent_batches(flawed("racy"), KNOWN, MISSING)


async def test_unreachable_upstream_reporting_up_fails() -> None:
    """An unreachable upstream whose health still says up fails."""

    async def factory() -> Connector:
        return flawed("always_up", available=False)

    with pytest.raises(AssertionError, match="must report down"):
        await checks.check_unreachable(factory, "K1")


async def test_unreachable_memory_connector_raises_typed_error() -> None:
    """The reference connector raises UpstreamUnavailableError when its upstream is off."""
    connector = flawed("", available=False)
    with pytest.raises(UpstreamUnavailableError):
        await connector.load_many(["K1"])


async def test_write_accepted_twice_fails() -> None:
    """A write that is accepted again under the same delivery id fails the idempotence check."""
    with pytest.raises(AssertionError, match="must give outcome DUPLICATE"):
        await checks.check_submit_is_idempotent(flawed("not_idempotent"), "note", {"text": "x"})


def test_settings_without_docstrings_fail() -> None:
    """A Settings field without a docstring fails the settings check."""
    from legacy_connectors.base import ConnectorSettings

    class Bare(ConnectorSettings):
        url: str = "x"

    cls = type("BareConnector", (MemoryConnector,), {"Settings": Bare})
    with pytest.raises(AssertionError, match=r"need a docstring: \['url'\]"):
        checks.check_settings(cls, {})


@pytest.mark.parametrize(
    "module",
    [
        "legacy_connectors.testing",
        "legacy_connectors.testing.checks",
        "legacy_connectors.testing.conformance",
        "legacy_connectors.testing.memory",
        "govgraph.doctor",
        "govgraph.scaffold",
    ],
)
def test_public_names_exist(module: str) -> None:
    """Every name a module lists in __all__ is defined there."""
    imported = importlib.import_module(module)
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert not missing
