"""Databases of a set named in the call context's ``skip_members`` are not called."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fixtures.model import Population
from fixtures.sqldb.testing import SHARED_VRM, Deployment
from legacy_connectors.base import CALL_CONTEXT, CallContext, PartialRecords
from legacy_connectors.errors import CircuitOpenError
from legacy_connectors.sql import SqlConnector

Open = Callable[[str, dict[str, Any]], SqlConnector]


@contextmanager
def skipping(*members: str) -> Iterator[None]:
    """Run the block as the gateway does when the breakers of ``members`` are open."""
    token = CALL_CONTEXT.set(CallContext(request_id="skip-test", skip_members=frozenset(members)))
    try:
        yield
    finally:
        CALL_CONTEXT.reset(token)


def other_key(population: Population) -> str:
    """A vehicle with notices that is not the shared one."""
    return next(
        n.vrm for person in population.people for n in person.penalty_notices if n.vrm != SHARED_VRM
    )


async def test_skipped_council_is_not_called_and_answers_circuit_open(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A skipped database issues no statement; each key carries one CIRCUIT_OPEN naming it."""
    options = deployment.options("parking")
    skipped = options["databases"][0]
    service = f"parking/{skipped['name']}"
    source = connect("parking", options)
    keys = [SHARED_VRM, other_key(sql_population)]
    before = source.queries
    with skipping(skipped["name"]):
        results = await source.load_many(keys)
    after = source.queries
    assert after[service] == before[service]
    assert all(after[s] > before[s] for s in after if s != service)
    assert len(results) == len(keys)
    for result in results:
        assert isinstance(result, PartialRecords)
        [error] = result.errors
        assert isinstance(error, CircuitOpenError)
        assert error.code == "CIRCUIT_OPEN"
        assert error.service == service
        assert error.retryable
    shared = results[0]
    assert isinstance(shared, PartialRecords)
    assert {r["authority"] for r in shared.records} == {
        c.name for c in sql_population.councils if c.name != skipped["label"]
    }


async def test_every_council_skipped_gives_empty_partial_records(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """With every database skipped, nothing is queried and each key has no records, all errors."""
    options = deployment.options("parking")
    names = [db["name"] for db in options["databases"]]
    source = connect("parking", options)
    with skipping(*names):
        results = await source.load_many([SHARED_VRM, other_key(sql_population)])
    assert set(source.queries.values()) == {0}
    for result in results:
        assert isinstance(result, PartialRecords)
        assert result.records == []
        assert [e.service for e in result.errors] == [f"parking/{name}" for name in names]
        assert all(isinstance(e, CircuitOpenError) for e in result.errors)


async def test_unknown_members_in_skip_list_change_nothing(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """Names that are not databases of the set are ignored: every council answers."""
    source = connect("parking", deployment.options("parking"))
    with skipping("no-such-council"):
        [result] = await source.load_many([SHARED_VRM])
    assert isinstance(result, list)
    assert {r["authority"] for r in result} == {c.name for c in sql_population.councils}
