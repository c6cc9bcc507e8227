"""Warming up the statistics passes: ``govgraph statistics warm`` as a long job (on a terminal,
in a pipe, quiet, with a department that cannot be read), and a gateway that warms up at start
while it serves requests."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.generate import generate, write_all
from govgraph import demo
from tests.harness import free_port
from tests.terminal import in_terminal, screen_lines

WARM = (sys.executable, "-m", "govgraph.cli", "statistics", "warm")
TABLE = """
query { statistics { table(purpose: "warm-up test", request: {
  by: ["tax.tax_band"], where: [{ condition: "tax.owes" }, { condition: "benefits.active_claim" }]
}) { total charged } } }
"""


@dataclass
class Generated:
    data: Path
    taxpayers: int
    claims: int


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """150 generated people (seed 5), written once."""
    population = generate(people=150, seed=5, noise="realistic")
    data = tmp_path_factory.mktemp("warm")
    write_all(population, data)
    taxpayers = sum(1 for p in population.people if p.tax is not None)
    claims = sum(len(p.benefits) for p in population.people)
    return Generated(data, taxpayers, claims)


def test_warm_on_a_terminal_shows_each_pass_then_the_summary_then_the_json_line(
    generated: Generated,
) -> None:
    """On a terminal each department read in full passes gets its phase, then one summary line
    each, and the last line is the JSON of the run, with every record of each department; with
    ``--quiet`` the JSON line is all it prints."""
    rc, shown = in_terminal([*WARM, "--data", str(generated.data)])
    lines = screen_lines(shown)
    assert rc == 0, shown[-3000:]
    figures = json.loads(lines[-1])
    assert figures["departments"]["tax"]["records"] == generated.taxpayers
    assert figures["departments"]["benefits"]["records"] == generated.claims
    assert figures["failed"] == [] and set(figures["departments"]) == {"tax", "benefits"}
    assert f"tax pass: {generated.taxpayers:,} records, 1 page in" in "\n".join(lines)
    bars = [line for line in lines[:-3] if re.search(r"(tax|benefits) pass\b.*\d", line)]
    assert {b.split()[1] for b in bars} >= {"tax", "benefits"}, lines

    rc, shown = in_terminal([*WARM, "--data", str(generated.data), "--quiet"])
    assert rc == 0, shown[-3000:]
    assert "\x1b" not in shown
    (only,) = screen_lines(shown)
    assert json.loads(only)["departments"]["benefits"]["records"] == generated.claims


def test_warm_in_a_pipe_writes_plain_lines_and_the_json_line_last(generated: Generated) -> None:
    """Not on a terminal: a line as each pass starts and ends on stderr, no escape codes, and the
    JSON line last on stdout."""
    done = subprocess.run(
        [*WARM, "--data", str(generated.data)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "\x1b" not in done.stderr + done.stdout
    for dept, count in (("tax", generated.taxpayers), ("benefits", generated.claims)):
        assert f"statistics warm: {dept} pass started" in done.stderr
        assert f"statistics warm: {dept} pass done: {count:,} records in " in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["seconds"] > 0


def test_a_department_that_cannot_be_read_fails_the_warm_up_naming_it(
    generated: Generated, tmp_path: Path
) -> None:
    """With the tax service unreachable, ``warm`` still reads the others, then exits 1 naming
    tax and its typed error; the JSON line lists it as failed."""
    mapping = demo.config_mapping(generated.data, f"http://127.0.0.1:{free_port()}")
    mapping["sources"]["tax"]["scan_page_retries"] = 0
    config = tmp_path / "unreachable-tax.toml"
    demo.write_config(config, mapping)
    done = subprocess.run(
        [*WARM, "--config", str(config)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr[-3000:]
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert re.match(r"error: department tax could not be read: \w+Error: \w", error), error
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["failed"] == ["tax"]
    assert figures["departments"]["benefits"]["records"] == generated.claims
    assert "benefits pass: " in done.stdout


@pytest.fixture
def tax_url(generated: Generated) -> Iterator[str]:
    with demo.tax_service(generated.data) as url:
        yield url


PASSES = re.compile(r'^govgraph_statistics_passes_total\{department="(\w+)"\} (\S+)$', re.M)
TAX_CALLS = re.compile(r'^govgraph_upstream_calls_total\{source="tax"\} (\S+)$', re.M)


async def _passes(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {dept: float(n) for dept, n in PASSES.findall(text)}


async def _tax_calls(client: httpx.AsyncClient) -> float:
    return sum(float(n) for n in TAX_CALLS.findall((await client.get("/metrics")).text))


async def _until_passed(client: httpx.AsyncClient, department: str) -> None:
    for _ in range(1200):
        if (await _passes(client)).get(department):
            return
        await asyncio.sleep(0.05)


async def test_a_gateway_warms_up_at_start_while_it_serves(
    generated: Generated, tax_url: str
) -> None:
    """With ``warm_at_start``, the gateway answers requests while the tax pass is held up by a
    service that does not answer; once the service answers, the pass completes on its own, and
    the first analyst's table then reads nothing from the tax service."""
    from govgraph.commands.link import link_from_settings
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    idp = demo.identity_provider(generated.data)
    mapping = demo.config_mapping(generated.data, tax_url, port=0)
    mapping["statistics"]["warm_at_start"] = True
    config = generated.data / "warm-at-start.toml"
    demo.write_config(config, mapping)
    settings = load_settings(config)
    await link_from_settings(settings)
    faults = f"{tax_url}/admin/faults"
    async with httpx.AsyncClient(timeout=60) as admin:
        (await admin.post(faults, json={"mode": "dead"})).raise_for_status()
    server = build_server(settings, port=0)
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
        base = f"http://127.0.0.1:{port}"
        headers: dict[str, Any] = {"Authorization": f"Bearer {idp.token(role='analyst')}"}
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await _until_passed(client, "benefits")
            assert await _passes(client) == {"benefits": 1}
            answered = await client.post(
                "/graphql", json={"query": "{ statistics { postcodeAreas } }"}, headers=headers
            )
            assert answered.status_code == 200 and "errors" not in answered.json()
            assert await _passes(client) == {"benefits": 1}
            (await client.post(faults, json={"mode": "ok"})).raise_for_status()
            await _until_passed(client, "tax")
            assert await _passes(client) == {"tax": 1, "benefits": 1}
            before = await _tax_calls(client)
            first = await client.post("/graphql", json={"query": TABLE}, headers=headers)
            body = first.json()
            assert "errors" not in body, body
            assert body["data"]["statistics"]["table"]["charged"] > 0
            assert await _tax_calls(client) == before
            assert await _passes(client) == {"tax": 1, "benefits": 1}
    finally:
        async with httpx.AsyncClient(timeout=60) as admin:
            await admin.post(faults, json={"mode": "ok"})
        server.should_exit = True
        await task
