"""Running a mutation once per key over a real outbox store: who may act, usable keys, refusals
that keep nothing, and later requests that get the first result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError

from govgraph.auth import Principal
from govgraph.outbox import Outbox
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, Unauthenticated
from resolvers.idempotency import (
    InputRefused,
    acting_citizen,
    check_key,
    outbox_of,
    raise_refusals,
    run_once,
)


def _ctx(principal: Any = None, outbox: Outbox | None = None) -> RequestContext:
    return RequestContext(
        sources={},
        index=None,
        principal=principal,
        request_id="r1",
        outbox=outbox,  # type: ignore[arg-type]
    )


def _citizen(citizen_id: str | None = "cz_1") -> Principal:
    return Principal(subject="s", role="citizen", citizen_id=citizen_id, confidence="P2")


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Outbox]:
    store = Outbox(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}", wait_s=5)
    await store.open()
    yield store
    await store.aclose()


def test_usable_keys_are_8_to_64_safe_characters() -> None:
    """Keys of 8 to 64 letters, digits and `._:-` are usable; anything else is refused with
    INVALID_IDEMPOTENCY_KEY on idempotencyKey."""
    for key in ("abcdefgh", "A1._:-zZ", "k" * 64):
        assert check_key(key) is None, key
    for key in ("abcdefg", "k" * 65, "abcd efgh", "abcdéfgh", "abcd/efgh", "", "abcdefgh\n"):
        refused = check_key(key)
        assert refused is not None, key
        assert (refused.code, refused.field, refused.message) == (
            "INVALID_IDEMPOTENCY_KEY",
            "idempotencyKey",
            "idempotencyKey: expected 8 to 64 letters, digits or `._:-`",
        )


def test_a_refusal_is_a_graphql_error_naming_its_code_and_field() -> None:
    """InputRefused carries its message, code and field into the GraphQL error (with a path
    when given)."""
    refused = InputRefused("INVALID_TEXT", "town", "town: not allowed")
    assert str(refused) == "town: not allowed"
    error = refused.as_graphql(["changeAddress"])
    assert (error.message, error.path) == ("town: not allowed", ["changeAddress"])
    assert error.extensions == {"code": "INVALID_TEXT", "field": "town"}
    assert refused.as_graphql().path is None


def test_only_a_signed_in_citizen_acts_for_themselves() -> None:
    """No one signed in is Unauthenticated; a caseworker or a citizen token without a citizen
    is Forbidden; a citizen acts as their own id."""
    with pytest.raises(Unauthenticated, match=r"^sign in to do this$"):
        acting_citizen(_ctx())
    caseworker = Principal(subject="s", role="caseworker", purpose="p", purpose_allowed=True)
    for principal in (caseworker, _citizen(None)):
        with pytest.raises(Forbidden, match=r"^only a signed-in citizen may do this"):
            acting_citizen(_ctx(principal))
    assert acting_citizen(_ctx(_citizen("cz_9"))) == "cz_9"


def test_every_refusal_is_reported_and_the_last_raised() -> None:
    """With several refusals, all but the last are added to the response at the field's path
    and the last is raised; with none, nothing happens."""
    ctx = _ctx(_citizen())
    raise_refusals(ctx, ["changeAddress"], [])
    assert ctx.extra_errors == []
    refusals = [InputRefused("A", f"f{i}", f"m{i}") for i in range(3)]
    with pytest.raises(GraphQLError) as raised:
        raise_refusals(ctx, ["changeAddress"], refusals)
    assert [(e.message, e.path, e.extensions) for e in ctx.extra_errors] == [
        ("m0", ["changeAddress"], {"code": "A", "field": "f0"}),
        ("m1", ["changeAddress"], {"code": "A", "field": "f1"}),
    ]
    assert (raised.value.message, raised.value.extensions) == ("m2", {"code": "A", "field": "f2"})


async def test_writes_need_an_outbox() -> None:
    """A gateway without an outbox refuses writes as Forbidden."""
    with pytest.raises(Forbidden, match=r"^writes are not enabled on this gateway$"):
        outbox_of(_ctx(_citizen()))
    with pytest.raises(Forbidden):
        await run_once(_ctx(_citizen()), "cz_1", "op", "key-0001", {}, _never)


async def _never(mutation_id: str) -> dict[str, Any]:
    raise AssertionError("ran a mutation that should not run")


async def test_a_key_runs_once_and_later_requests_get_its_result(outbox: Outbox) -> None:
    """The first request runs under a mutation id and its result is kept; a repeat (arguments
    in any order, Decimal and date values) gets that result without running; other arguments
    under the same key are refused as IDEMPOTENCY_KEY_REUSED; another citizen's key is its own."""
    ctx = _ctx(_citizen(), outbox)
    ran: list[str] = []

    async def run(mutation_id: str) -> dict[str, Any]:
        ran.append(mutation_id)
        return {"answer": len(ran)}

    arguments = {"amount": Decimal("12.50"), "on": date(2026, 1, 2), "ref": "PN1"}
    first = await run_once(ctx, "cz_1", "payPenaltyNotice", "key-0001", arguments, run)
    assert first == {"answer": 1} and len(ran) == 1 and ran[0]
    reordered = dict(reversed(list(arguments.items())))
    again = await run_once(ctx, "cz_1", "payPenaltyNotice", "key-0001", reordered, run)
    assert again == {"answer": 1} and len(ran) == 1
    with pytest.raises(GraphQLError) as reused:
        await run_once(ctx, "cz_1", "payPenaltyNotice", "key-0001", {**arguments, "ref": "X"}, run)
    assert reused.value.message == (
        "idempotencyKey: this key was already used for a different request"
    )
    assert reused.value.extensions == {"code": "IDEMPOTENCY_KEY_REUSED", "field": "idempotencyKey"}
    other = await run_once(ctx, "cz_2", "payPenaltyNotice", "key-0001", arguments, run)
    assert other == {"answer": 2}
    elsewhere = await run_once(ctx, "cz_1", "changeAddress", "key-0001", arguments, run)
    assert elsewhere == {"answer": 3} and len(set(ran)) == 3


async def test_a_refused_or_failed_run_keeps_nothing(outbox: Outbox) -> None:
    """A run refused for its input answers with the refusal as a GraphQL error and a run that
    fails raises its error; either way the key is free again and the next request runs."""
    ctx = _ctx(_citizen(), outbox)
    outcomes: list[Any] = [InputRefused("INVALID_TEXT", "town", "town: bad"), RuntimeError("down")]

    async def run(mutation_id: str) -> dict[str, Any]:
        if outcomes:
            raise outcomes.pop(0)
        return {"done": mutation_id}

    with pytest.raises(GraphQLError) as refused:
        await run_once(ctx, "cz_1", "changeAddress", "key-0002", {"town": "x"}, run)
    assert (refused.value.message, refused.value.extensions) == (
        "town: bad",
        {"code": "INVALID_TEXT", "field": "town"},
    )
    assert refused.value.__cause__ is None
    with pytest.raises(RuntimeError, match="down"):
        await run_once(ctx, "cz_1", "changeAddress", "key-0002", {"town": "x"}, run)
    done = await run_once(ctx, "cz_1", "changeAddress", "key-0002", {"town": "x"}, run)
    assert done["done"]
    assert await run_once(ctx, "cz_1", "changeAddress", "key-0002", {"town": "x"}, _never) == done


async def test_a_run_that_stores_its_own_result_is_not_overwritten(outbox: Outbox) -> None:
    """With finish=False the result the run stored itself is what repeats get; by default the
    returned result is stored."""
    ctx = _ctx(_citizen(), outbox)

    async def stores_own(mutation_id: str) -> dict[str, Any]:
        await outbox.finish_mutation(mutation_id, {"stored": "by the run"})
        return {"returned": True}

    got = await run_once(ctx, "cz_1", "op", "key-0003", {}, stores_own, finish=False)
    assert got == {"returned": True}
    assert await run_once(ctx, "cz_1", "op", "key-0003", {}, _never) == {"stored": "by the run"}
    got = await run_once(ctx, "cz_1", "op", "key-0004", {}, stores_own)
    assert await run_once(ctx, "cz_1", "op", "key-0004", {}, _never) == {"returned": True}


async def test_a_store_that_cannot_be_reached_is_a_retryable_refusal(tmp_path: Path) -> None:
    """With the outbox store gone, a write is refused as STORE_UNAVAILABLE (retryable) before
    anything runs, naming the key to retry with."""
    store = Outbox(f"sqlite+aiosqlite:///{tmp_path / 'gone.sqlite'}", wait_s=5)
    await store.open()
    await store.aclose()
    with pytest.raises(GraphQLError) as refused:
        await run_once(_ctx(_citizen(), store), "cz_1", "op", "key-0005", {}, _never)
    assert refused.value.message == (
        "the gateway's store cannot be reached; retry with the same idempotencyKey"
    )
    assert refused.value.extensions == {"code": "STORE_UNAVAILABLE", "retryable": True}
    assert refused.value.__cause__ is None
