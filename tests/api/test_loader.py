"""The per-request loaders: one batch call per pass, one answer per key, failures per key."""

from __future__ import annotations

import asyncio

import pytest

from resolvers.loader import BatchLoader, DerivedLoader


class Upstream:
    """A batch function that records its calls; keys starting with ``bad`` fail alone and
    ``boom`` in a batch fails the whole call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, keys: list[str]) -> list[str | Exception]:
        self.calls.append(list(keys))
        await asyncio.sleep(0)
        if "boom" in keys:
            raise ConnectionError("the upstream is down")
        return [ValueError(k) if k.startswith("bad") else k.upper() for k in keys]


async def test_keys_asked_for_together_are_loaded_in_one_call() -> None:
    """Loads made in the same pass, and by tasks that start in the next, share one call."""
    upstream = Upstream()
    loader: BatchLoader[str, str] = BatchLoader(upstream)

    async def later(key: str) -> str:  # runs one pass after the first loads
        return await loader.load(key)

    answers = await asyncio.gather(loader.load("a"), loader.load("b"), later("c"))
    assert answers == ["A", "B", "C"]
    assert upstream.calls == [["a", "b", "c"]]


async def test_a_key_is_loaded_once_per_loader() -> None:
    """A key asked for again is answered from the first load, without another call."""
    upstream = Upstream()
    loader: BatchLoader[str, str] = BatchLoader(upstream)
    assert await loader.load("a") == "A"
    assert await loader.load_many(["a", "b"]) == ["A", "B"]
    assert upstream.calls == [["a"], ["b"]]


async def test_an_exception_value_fails_its_key_alone() -> None:
    """A batch answering one key with an exception fails that key; the others get values."""
    loader: BatchLoader[str, str] = BatchLoader(Upstream())
    good, bad = asyncio.gather(loader.load("a")), loader.load("bad1")
    assert await good == ["A"]
    with pytest.raises(ValueError, match="bad1"):
        await bad


async def test_a_failed_batch_fails_every_key_and_is_not_kept() -> None:
    """A batch function that raises fails all its keys, and a later load calls again."""
    upstream = Upstream()
    loader: BatchLoader[str, str] = BatchLoader(upstream)
    first = asyncio.gather(loader.load("a"), loader.load("boom"), return_exceptions=True)
    answers = await first
    assert all(isinstance(a, ConnectionError) for a in answers)
    assert await loader.load("a") == "A"
    assert upstream.calls == [["a", "boom"], ["a"]]


async def test_a_batch_function_must_answer_every_key() -> None:
    """A batch function returning the wrong number of results fails the batch's keys."""

    async def short(keys: list[str]) -> list[str]:
        return keys[:-1]

    loader: BatchLoader[str, str] = BatchLoader(short)
    with pytest.raises(TypeError, match="2 results for 3 keys"):
        await loader.load_many(["a", "b", "c"])


async def test_without_batching_each_key_is_its_own_call() -> None:
    """With batching off, every key is loaded by a call of its own."""
    upstream = Upstream()
    loader: BatchLoader[str, str] = BatchLoader(upstream, batch=False)
    assert await loader.load_many(["a", "b"]) == ["A", "B"]
    assert sorted(upstream.calls) == [["a"], ["b"]]


async def test_a_derived_loader_answers_from_its_source_once_per_key() -> None:
    """A derived loader shares its source's batch and derives each key's answer once."""
    upstream = Upstream()
    source: BatchLoader[str, str] = BatchLoader(upstream)
    derived_for: list[str] = []

    def derive(key: str, value: str) -> str:
        derived_for.append(key)
        return value + "!"

    derived: DerivedLoader[str, str, str] = DerivedLoader(source, derive)
    answers = await asyncio.gather(derived.load("a"), source.load("b"), derived.load("a"))
    assert answers == ["A!", "B", "A!"]
    assert upstream.calls == [["a", "b"]]
    assert derived_for == ["a"]


async def test_a_derived_loader_passes_its_source_failure_on() -> None:
    """A key its source fails for fails in the derived loader too: a key's own error is
    kept, a failed batch is tried again on the next load."""
    upstream = Upstream()
    derived: DerivedLoader[str, str, str] = DerivedLoader(
        BatchLoader(upstream), lambda _key, value: value
    )
    for _ in range(2):
        with pytest.raises(ValueError, match="bad2"):
            await derived.load("bad2")
        with pytest.raises(ConnectionError):
            await derived.load("boom")
    assert upstream.calls == [["bad2"], ["boom"], ["boom"]]


async def test_none_is_not_a_key() -> None:
    """Loading ``None`` is a programming error, refused at once."""
    loader: BatchLoader[str, str] = BatchLoader(Upstream())
    with pytest.raises(TypeError, match="not None"):
        loader.load(None)  # type: ignore[arg-type]
