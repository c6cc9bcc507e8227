"""Three gateway replicas on one PostgreSQL store and one Redis behave as one gateway.

Each replica is a real ``govgraph serve`` process; they share a PostgreSQL database made for
this module (citizen index, access ledger, outbox and idempotency keys) and a Redis key prefix
(rate-limit counters). Requests are spread over the replicas round-robin.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from govgraph import demo
from resolvers.ids import decode_id, encode_id
from tests.harness import GatewayProcess, free_port
from tests.writes.support import citizen_for_notice, council_file, journal, notices, pick_notice
from tests.writes.test_crash_fanout import applied

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PG = "postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
RATE = 60
"""Requests per minute each principal may make (shared through Redis)."""
WORKER_ENV = {
    "GOVGRAPH__OUTBOX__CONCURRENCY": "1",
    "GOVGRAPH__OUTBOX__DELAY_S": "0.3",
    "GOVGRAPH__OUTBOX__HOLD_S": "2.0",
    "GOVGRAPH__OUTBOX__LEASE_S": "4",
    "GOVGRAPH__OUTBOX__POLL_S": "0.2",
    "GOVGRAPH__OUTBOX__BACKOFF_INITIAL_S": "0.5",
}
PAY = """
mutation Pay($pcn: String!, $amount: Decimal!, $key: String!) {
  payPenaltyNotice(pcn: $pcn, amount: $amount, idempotencyKey: $key) {
    reference pcn amountPaid { amount } paidAt
  }
}
"""
READ = "query($id: ID!) { citizen(id: $id) { id name { familyName } } }"
CHANGE = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) { id }
}
"""
TRACK = """
query Track($id: ID!) { addressChange(id: $id) { complete deliveries { department status } } }
"""


def _replica(name: str, config: Path, log: Path) -> GatewayProcess:
    """One ``govgraph serve`` child process on a port of its own."""
    port = free_port()
    env = {**WORKER_ENV, "GOVGRAPH__GATEWAY__PORT": str(port)}
    return GatewayProcess(name, config, port, log, env, start_timeout_s=90)


@dataclass
class Cluster:
    data: Path
    population: Any
    idp: Any
    config: Path
    database: str
    replicas: list[GatewayProcess]

    @property
    def index_url(self) -> str:
        return f"postgresql+asyncpg://{PG}/{self.database}"

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Rows of ``statement`` run on the shared store."""
        return asyncio.run(_sql(self.index_url, statement, params))

    def headers(self, role: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.idp.token(role=role, **claims)}"}

    def spread(self) -> Iterator[GatewayProcess]:
        """The live replicas, round-robin."""
        return itertools.cycle([r for r in self.replicas if r.alive])


async def _sql(url: str, statement: str, params: dict[str, Any], **options: Any) -> list[Any]:
    engine = create_async_engine(url, **options)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def _admin(statement: str) -> None:
    url = f"postgresql+asyncpg://{PG}/test"
    asyncio.run(_sql(url, statement, {}, isolation_level="AUTOCOMMIT"))


def _clear_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from fixtures.generate import generate, write_all
    from govgraph.commands.link import link_from_settings
    from govgraph.settings import load_settings

    population = generate(people=150, seed=29, noise="realistic", as_of=date.today())
    data_dir = tmp_path_factory.mktemp("replicas")
    write_all(population, data_dir)
    idp = demo.identity_provider(data_dir)
    database = f"gg_i21_replicas_{secrets.token_hex(4)}"
    prefix = f"gg_i21_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{database}"')
    replicas: list[GatewayProcess] = []
    try:
        with demo.tax_service(data_dir) as tax_url:
            mapping = demo.config_mapping(data_dir, tax_url, port=0)
            mapping["gateway"].update(
                index_url=f"postgresql+asyncpg://{PG}/{database}",
                rate_limit=f"{RATE}/minute",
                rate_limit_storage=REDIS,
                rate_limit_key_prefix=prefix,
            )
            mapping["webapp"] = {"enabled": False}
            config = data_dir / "govgraph.toml"
            demo.write_config(config, mapping)
            asyncio.run(link_from_settings(load_settings(config)))
            replicas = [_replica(name, config, data_dir / f"gateway-{name}.log") for name in "abc"]
            for replica in replicas:
                replica.start()
            for replica in replicas:
                replica.wait_started()
            yield Cluster(data_dir, population, idp, config, database, replicas)
    finally:
        for replica in replicas:
            replica.stop()
        _clear_redis(prefix)
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def _post(
    client: httpx.AsyncClient,
    replica: GatewayProcess,
    body: dict[str, Any],
    headers: dict[str, str],
) -> httpx.Response:
    return await client.post(f"{replica.url}/graphql", json=body, headers=headers)


def _open_notice(population: Any) -> Any:
    for council in ("NB", "EM", "WV"):
        with contextlib.suppress(AssertionError):
            return pick_notice(population, "OPEN", discount_open=True, council=council)
    raise AssertionError("no open notice in its discount period")


def test_twenty_identical_payments_over_three_replicas_pay_once(cluster: Cluster) -> None:
    """20 concurrent identical payments spread over the replicas: one payment, one answer."""
    notice = _open_notice(cluster.population)
    cid = asyncio.run(citizen_for_notice(cluster.index_url, notice))
    assert cid is not None
    headers = cluster.headers("citizen", citizen_id=cid)
    body = {
        "query": PAY,
        "variables": {
            "pcn": notice.pcn,
            "amount": str(notice.discount_amount),
            "key": uuid.uuid4().hex,
        },
    }

    async def pay_twenty() -> list[httpx.Response]:
        spread = cluster.spread()
        async with httpx.AsyncClient(timeout=60) as client:
            calls = [_post(client, next(spread), body, headers) for _ in range(20)]
            return list(await asyncio.gather(*calls))

    answers = asyncio.run(pay_twenty())
    assert {r.status_code for r in answers} == {200}
    assert all("errors" not in r.json() for r in answers), [r.json() for r in answers]
    assert len({json.dumps(r.json()["data"]) for r in answers}) == 1
    paid = answers[0].json()["data"]["payPenaltyNotice"]
    assert Decimal(paid["amountPaid"]["amount"]) == notice.discount_amount
    targets = [r["TARGET_KEY"] for r in journal(council_file(cluster.data, notice.council_code))]
    assert targets.count(notice.pcn) == 1
    stored = asyncio.run(notices(cluster.data, notice.vrm))[notice.pcn]
    assert (stored["status"], stored["paid_amount"]) == ("PAID", notice.discount_amount)
    [(mutations,)] = cluster.sql(
        "SELECT count(*) FROM gg_mutations WHERE citizen_id = :cid AND operation = :op",
        op="payPenaltyNotice",
        cid=cid,
    )
    assert mutations == 1


def test_a_thousand_caseworker_reads_are_each_in_one_verifiable_chain_once(
    cluster: Cluster,
) -> None:
    """1,000 caseworker reads over the replicas: `govgraph ledger verify` passes and each
    read is in the ledger exactly once."""
    [(before,)] = cluster.sql("SELECT count(*) FROM gg_access_ledger")
    citizens = [r[0] for r in cluster.sql("SELECT DISTINCT citizen_id FROM gg_links LIMIT 20")]
    assert len(citizens) == 20
    caseworkers = [
        cluster.headers("caseworker", subject=f"urn:test:cw{i}", purpose="case-review")
        for i in range(25)
    ]

    async def read_all() -> list[tuple[str, httpx.Response]]:
        spread = cluster.spread()
        gate = asyncio.Semaphore(24)
        async with httpx.AsyncClient(timeout=60) as client:

            async def one(i: int) -> tuple[str, httpx.Response]:
                request_id = f"i21-read-{i:04d}-{uuid.uuid4().hex[:8]}"
                body = {"query": READ, "variables": {"id": encode_id("Citizen", citizens[i % 20])}}
                headers = {**caseworkers[i % 25], "x-request-id": request_id}
                async with gate:
                    return request_id, await _post(client, next(spread), body, headers)

            return list(await asyncio.gather(*(one(i) for i in range(1000))))

    answers = asyncio.run(read_all())
    failed = [r.text for _, r in answers if r.status_code != 200 or "errors" in r.json()]
    assert not failed, failed[:3]
    verify = subprocess.run(
        [sys.executable, "-m", "govgraph.cli", "ledger", "verify", "--config", str(cluster.config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    rows = cluster.sql(
        "SELECT request_id, citizen_id, role FROM gg_access_ledger WHERE request_id LIKE :p",
        p="i21-read-%",
    )
    by_request = {request_id: 0 for request_id, _ in answers}
    for request_id, citizen, role in rows:
        by_request[request_id] += 1
        assert role == "caseworker"
        assert citizen == citizens[int(request_id.split("-")[2]) % 20]
    assert set(by_request.values()) == {1}
    [(after,)] = cluster.sql("SELECT count(*) FROM gg_access_ledger")
    assert after - before == 1000
    [(head_seq,)] = cluster.sql("SELECT seq FROM gg_access_ledger_head")
    assert head_seq == after


def test_the_per_principal_rate_limit_holds_across_replicas(cluster: Cluster) -> None:
    """One principal's requests over three replicas are counted together: exactly the limit
    is served, the rest get 429 RATE_LIMITED, from every replica."""
    headers = cluster.headers("analyst", subject=f"urn:test:{uuid.uuid4().hex}")
    ping = {"query": "{ __typename }"}

    async def burst(n: int) -> list[tuple[str, httpx.Response]]:
        spread = cluster.spread()
        async with httpx.AsyncClient(timeout=60) as client:

            async def one() -> tuple[str, httpx.Response]:
                replica = next(spread)
                return replica.name, await _post(client, replica, ping, headers)

            return list(await asyncio.gather(*(one() for _ in range(n))))

    allowed = asyncio.run(burst(RATE))
    over = asyncio.run(burst(30))
    assert [r.status_code for _, r in allowed] == [200] * RATE
    assert [r.status_code for _, r in over] == [429] * 30
    assert {name for name, _ in over} == {"a", "b", "c"}
    for _, r in over:
        assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= int(r.headers["retry-after"]) <= 60


def _deliveries(cluster: Cluster, change_id: str) -> list[dict[str, Any]]:
    rows = cluster.sql(
        "SELECT * FROM gg_deliveries WHERE change_id = :c", c=decode_id(change_id)[2]
    )
    return [dict(r._mapping) for r in rows]


def _delivering(replica: GatewayProcess, delivery_id: str) -> bool:
    return bool(re.search(rf"delivering {delivery_id} ", replica.log.read_text(errors="replace")))


def test_a_replica_killed_mid_delivery_leaves_it_to_the_others_exactly_once(
    cluster: Cluster,
) -> None:
    """SIGKILL the replica holding a delivery the department applied but the outbox has not
    recorded: the others take it when the lease runs out, and every department holds the
    change exactly once."""
    person, cid = next(
        (p, c)
        for p in cluster.population.people
        if p.tax and p.benefits and p.passport and p.penalty_notices
        for c in [asyncio.run(_tax_citizen(cluster, p.tax.nino))]
        if c is not None
    )
    headers = cluster.headers("citizen", citizen_id=cid)
    address = {"lines": ["9 Replica Row"], "town": "Saltmarsh", "postcode": "SM4 9RR"}
    first = cluster.replicas[0]
    body = httpx.post(
        f"{first.url}/graphql",
        json={"query": CHANGE, "variables": {"address": address, "key": uuid.uuid4().hex}},
        headers=headers,
        timeout=60,
    ).json()
    assert "errors" not in body, body
    change_id = body["data"]["changeAddress"]["id"]

    victim: GatewayProcess | None = None
    caught: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and victim is None:
        rows = _deliveries(cluster, change_id)
        for row in rows:
            if row["status"] != "DELIVERED" and applied(cluster.data, row):
                holders = [r for r in cluster.replicas if _delivering(r, row["id"])]
                if len(holders) == 1:
                    victim, caught = holders[0], row
                    break
        time.sleep(0.05)
    assert victim is not None, "never saw a delivery applied but not yet recorded"
    victim.kill()
    assert len(rows) >= 4

    others = [r for r in cluster.replicas if r.alive]
    assert len(others) == 2
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        track = httpx.post(
            f"{others[0].url}/graphql",
            json={"query": TRACK, "variables": {"id": change_id}},
            headers=headers,
            timeout=60,
        ).json()
        if track["data"]["addressChange"]["complete"]:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"not all delivered after the kill: {track}")

    rows = _deliveries(cluster, change_id)
    assert {r["status"] for r in rows} == {"DELIVERED"}
    assert {r["id"]: applied(cluster.data, r) for r in rows} == {r["id"]: 1 for r in rows}
    [again] = [r for r in rows if r["id"] == caught["id"]]
    assert again["outcome"] == "DUPLICATE"
    assert any(_delivering(r, caught["id"]) for r in others)
    tax_lines = (cluster.data / "tax" / "address_changes.jsonl").read_text().splitlines()
    assert [json.loads(line)["Nino"] for line in tax_lines].count(person.tax.nino) == 1


async def _tax_citizen(cluster: Cluster, nino: str) -> str | None:
    from tests.api.helpers import citizen_id_for

    return await citizen_id_for(cluster.index_url, "tax", nino)
