"""The conformance checks, as plain async functions that raise ``AssertionError``.

:class:`~legacy_connectors.testing.ConnectorConformance` runs each of them as a pytest test;
they can also be called directly (from a script, a notebook or another test framework).
Each check talks to the connector only through the :class:`~legacy_connectors.base.Connector`
interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

from pydantic import ValidationError

from legacy_connectors.base import Connector, ConnectorSettings, Health, PartialRecords, Result
from legacy_connectors.errors import LegacyError

__all__ = [
    "ConnectorFactory",
    "check_aclose_idempotent",
    "check_batch_matches_single_calls",
    "check_concurrent_batches",
    "check_duplicates_and_empty_batch",
    "check_failing_key_stays_per_key",
    "check_health",
    "check_missing_keys",
    "check_scan",
    "check_settings",
    "check_submit_is_idempotent",
    "check_typed_error",
    "check_unreachable",
    "comparable",
    "is_found",
]

ConnectorFactory = Callable[[], Awaitable[Connector]]
"""Builds a fresh, not yet opened connector."""


def comparable(result: Result) -> Any:
    """A value that compares equal for equivalent results (errors compare by type and code)."""
    if isinstance(result, LegacyError):
        return ("error", type(result).__name__, result.code)
    if isinstance(result, PartialRecords):
        return ("partial", result.records, sorted(comparable(e) for e in result.errors))
    return result


def is_found(result: Result) -> bool:
    """Whether ``result`` holds a record (a record, a non-empty list, or partial records)."""
    if isinstance(result, dict):
        return True
    if isinstance(result, list):
        return bool(result)
    return isinstance(result, PartialRecords) and bool(result.records)


def _check_shape(result: Result, key: str) -> None:
    if result is None:
        return
    if isinstance(result, BaseException):
        check_typed_error(result, key)
        return
    if isinstance(result, PartialRecords):
        records: list[Any] = list(result.records)
        for err in result.errors:
            check_typed_error(err, key)
    elif isinstance(result, list):
        records = list(result)
    else:
        records = [result]
    for record in records:
        assert isinstance(record, dict), (
            f"a record must be a dict of field name to value, got {type(record).__name__}"
        )
        assert all(isinstance(name, str) for name in record), "record field names must be str"


async def _load(connector: Connector, keys: Sequence[str]) -> list[Result]:
    results = await connector.load_many(list(keys))
    assert isinstance(results, list), f"load_many must return a list, got {type(results).__name__}"
    assert len(results) == len(keys), (
        f"load_many returned {len(results)} results for {len(keys)} keys"
    )
    for key, result in zip(keys, results, strict=True):
        _check_shape(result, key)
    return results


async def check_batch_matches_single_calls(
    connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
) -> None:
    """A batch gives one result per key, in order: the same as asking for each key alone."""
    assert known_keys, "the conformance kit needs at least one known key"
    keys = _interleave(known_keys, missing_keys)
    batch = await _load(connector, keys)
    singles = [(await _load(connector, [key]))[0] for key in keys]
    for position, (key, got, alone) in enumerate(zip(keys, batch, singles, strict=True)):
        assert comparable(got) == comparable(alone), (
            f"result {position} of the batch differs from asking for that key alone "
            f"(known key: {key in known_keys})"
        )
    reverse = await _load(connector, list(reversed(keys)))
    assert [comparable(r) for r in reverse] == [comparable(r) for r in reversed(batch)], (
        "reversing the keys must reverse the results"
    )
    for key, result in zip(keys, batch, strict=True):
        if key in known_keys:
            assert is_found(result), "a known key must give a record"


async def check_duplicates_and_empty_batch(
    connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
) -> None:
    """Duplicated keys each get their result; an empty batch gives an empty list."""
    assert await _load(connector, []) == [], "an empty batch must give []"
    first = known_keys[0]
    keys = [first, *missing_keys[:1], first, first]
    results = await _load(connector, keys)
    assert comparable(results[0]) == comparable(results[-2]) == comparable(results[-1]), (
        "a key given several times must get the same result each time"
    )
    assert is_found(results[0]), "a known key must give a record"


async def check_missing_keys(
    connector: Connector, known_keys: Sequence[str], missing_keys: Sequence[str]
) -> None:
    """An unknown key gives ``None`` (``[]`` for sources holding many records per key)."""
    assert missing_keys, "the conformance kit needs at least one missing key"
    results = await _load(connector, [known_keys[0], *missing_keys])
    many = isinstance(results[0], list | PartialRecords)
    for position, result in enumerate(results[1:], start=1):
        if many:
            assert result == [] or result is None, (
                f"missing key {position} must give [] (or None), got {type(result).__name__}"
            )
        else:
            assert result is None, (
                f"missing key {position} must give None, got {type(result).__name__}"
            )


def check_typed_error(error: object, key: str | None = None) -> None:
    """An error is a :class:`LegacyError` with a code, a retry hint and a message free of keys."""
    assert isinstance(error, LegacyError), (
        f"errors must be LegacyError subclasses, got {type(error).__name__}"
    )
    assert isinstance(error.code, str) and error.code, "an error needs a non-empty code"
    assert error.code == error.code.upper(), f"error codes are upper case, got {error.code!r}"
    assert isinstance(error.retryable, bool), "retryable must be a bool"
    assert isinstance(error.message, str) and error.message, "an error needs a message"
    if key:
        assert key not in error.message, "an error message must not contain the key it is about"


async def check_failing_key_stays_per_key(
    connector: Connector, known_keys: Sequence[str], failing_key: str
) -> None:
    """A key that cannot be served fails alone, with a typed error; the others are served."""
    keys = [known_keys[0], failing_key, known_keys[-1]]
    try:
        results = await _load(connector, keys)
    except LegacyError as exc:
        raise AssertionError(
            f"a key that cannot be served failed the whole batch ({exc.code})"
        ) from exc
    failed = results[1]
    if isinstance(failed, PartialRecords):
        assert failed.errors, "the failing key must carry at least one error"
        for err in failed.errors:
            check_typed_error(err, failing_key)
    else:
        check_typed_error(failed, failing_key)
    alone = [(await _load(connector, [key]))[0] for key in (keys[0], keys[2])]
    assert comparable(results[0]) == comparable(alone[0]), "the keys around a failure are served"
    assert comparable(results[2]) == comparable(alone[1]), "the keys around a failure are served"


async def check_health(connector: Connector) -> None:
    """``health()`` returns a :class:`Health` and an open, reachable source is not down."""
    health = await connector.health()
    assert isinstance(health, Health), f"health() must return Health, got {type(health).__name__}"
    assert health.status in ("up", "degraded", "down"), f"unknown status {health.status!r}"
    assert health.status != "down", f"a reachable source reported down: {health.detail}"
    assert isinstance(health.facts, dict), "health facts must be a dict"


async def check_aclose_idempotent(factory: ConnectorFactory, known_key: str) -> None:
    """``aclose()`` may be called twice after use, and on a connector that never opened."""
    unopened = await factory()
    await unopened.aclose()
    await unopened.aclose()
    used = await factory()
    await used.open()
    try:
        await _load(used, [known_key])
    finally:
        await used.aclose()
    await used.aclose()


async def check_concurrent_batches(
    connector: Connector,
    known_keys: Sequence[str],
    missing_keys: Sequence[str],
    calls: int = 20,
) -> None:
    """Many ``load_many`` calls at once give the same results as the same calls in sequence."""
    keys = _interleave(known_keys, missing_keys)
    batches = [_rotate(keys, i)[: 1 + i % len(keys)] for i in range(calls)]
    sequential = [await _load(connector, batch) for batch in batches]
    concurrent = await asyncio.gather(*(_load(connector, batch) for batch in batches))
    for number, (one, other) in enumerate(zip(sequential, concurrent, strict=True)):
        assert [comparable(r) for r in one] == [comparable(r) for r in other], (
            f"concurrent call {number} gave different results from the same call alone"
        )


async def check_scan(connector: Connector, batch_size: int = 10) -> bool:
    """If the kind can scan: batches of ``(str, dict)`` whose keys ``load_many`` finds.

    Returns ``False`` when the kind cannot scan (``NotImplementedError``).
    """
    scan = cast(AsyncIterator[list[tuple[str, Any]]], connector.scan(batch_size))
    try:
        async with contextlib.aclosing(scan):  # type: ignore[type-var]
            first = await anext(scan, None)
    except NotImplementedError:
        return False
    assert first, "a source that can scan must yield at least one non-empty batch"
    assert len(first) <= batch_size, f"a batch holds at most {batch_size} pairs, got {len(first)}"
    for pair in first:
        assert isinstance(pair, tuple) and len(pair) == 2, "scan yields (key, record) pairs"
        assert isinstance(pair[0], str) and isinstance(pair[1], dict), "pairs are (str, dict)"
    key, record = first[0]
    loaded = (await _load(connector, [key]))[0]
    if isinstance(loaded, PartialRecords):
        loaded = loaded.records
    found = loaded if isinstance(loaded, list) else [loaded]
    assert record in found, "a scanned key must load the record scan gave for it"
    return True


async def check_unreachable(factory: ConnectorFactory, key: str) -> None:
    """An unreachable upstream gives typed errors and a ``down`` health, never a crash."""
    connector = await factory()
    try:
        try:
            await connector.open()
        except LegacyError as exc:
            check_typed_error(exc)
            return
        health = await connector.health()
        assert isinstance(health, Health) and health.status == "down", (
            f"an unreachable source must report down, got {getattr(health, 'status', health)!r}"
        )
        try:
            results = await connector.load_many([key])
        except LegacyError as exc:
            check_typed_error(exc, key)
        else:
            assert len(results) == 1, "load_many must give one result per key"
            failed = results[0]
            if isinstance(failed, PartialRecords):
                assert failed.errors and not failed.records, (
                    "with every database unreachable, partial records hold only errors"
                )
                for err in failed.errors:
                    check_typed_error(err, key)
            else:
                check_typed_error(failed, key)
    finally:
        await connector.aclose()


async def check_submit_is_idempotent(
    connector: Connector, command: str, payload: Mapping[str, Any]
) -> None:
    """A write is accepted once per delivery id (32 hex characters, as the gateway's outbox
    makes them); again with the same id it is a duplicate; an unknown command raises
    ``NotImplementedError``."""
    submit = getattr(connector, "submit", None)
    assert callable(submit), "the connector has no submit() for writes"
    delivery_id = uuid.uuid4().hex
    first = await submit(command, payload, delivery_id=delivery_id)
    assert isinstance(first, dict), f"submit() must return a record, got {type(first).__name__}"
    assert first.get("outcome") == "ACCEPTED", f"first delivery: {first.get('outcome')!r}"
    again = await submit(command, payload, delivery_id=delivery_id)
    assert isinstance(again, dict) and again.get("outcome") == "DUPLICATE", (
        f"the same delivery id again must give outcome DUPLICATE, got {again!r}"
    )
    try:
        await submit("no_such_command_xyz", payload, delivery_id=uuid.uuid4().hex)
    except NotImplementedError:
        pass
    else:
        raise AssertionError("an unknown command must raise NotImplementedError")


def check_settings(cls: type[Connector], options: dict[str, Any]) -> None:
    """Settings are a documented :class:`ConnectorSettings` that rejects unknown options."""
    settings_cls = cls.Settings
    assert issubclass(settings_cls, ConnectorSettings), "Settings must subclass ConnectorSettings"
    undocumented = [
        name for name, info in settings_cls.model_fields.items() if not info.description
    ]
    assert not undocumented, f"settings fields need a docstring: {undocumented}"
    settings_cls.model_validate(options)
    try:
        settings_cls.model_validate({**options, "no_such_option_xyz": 1})
    except ValidationError:
        pass
    else:
        raise AssertionError("settings must reject unknown options")


def _interleave(first: Sequence[str], second: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i in range(max(len(first), len(second))):
        out.extend(seq[i] for seq in (first, second) if i < len(seq))
    return out


def _rotate(keys: Sequence[str], by: int) -> list[str]:
    by %= len(keys)
    return [*keys[by:], *keys[:by]]
