"""``govgraph link`` as a long job: progress on a terminal, a department that cannot be read,
and Ctrl+C, each through a real subprocess of the command over real generated stores."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fixtures.generate import generate, write_all
from tests.terminal import in_terminal, screen_lines

LINK = (sys.executable, "-m", "govgraph.cli", "link")
PHASES = ("read tax", "read benefits", "read passports", "candidates", "scoring", "clustering")


@dataclass
class Populations:
    a: Path
    """Linked once: its index is the one every test checks stays unchanged."""
    b: Path
    """Other people: a completed run over these would change every link."""


@pytest.fixture(scope="module")
def populations(tmp_path_factory: pytest.TempPathFactory) -> Populations:
    """Two generated populations of 150 people (seeds 1 and 2)."""
    root = tmp_path_factory.mktemp("linkjobs")
    for name, seed in (("a", 1), ("b", 2)):
        write_all(generate(people=150, seed=seed, noise="realistic"), root / name)
    return Populations(root / "a", root / "b")


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


async def _links(index_file: Path) -> list[tuple[str, str, str]]:
    from govgraph.index import CitizenIndex

    index = CitizenIndex(f"sqlite+aiosqlite:///{index_file}")
    await index.open()
    try:
        return sorted((x.citizen_id, x.source, x.key) for x in await index.all_links())
    finally:
        await index.aclose()


def _link_config(data: Path, tax_url: str, index_file: Path) -> Path:
    """A configuration reading ``data``'s sources and writing ``index_file``."""
    from govgraph import demo

    mapping = demo.config_mapping(data, tax_url)
    mapping["gateway"]["index_url"] = f"sqlite+aiosqlite:///{index_file}"
    path = data / f"link-into-{index_file.parent.name}.toml"
    demo.write_config(path, mapping)
    return path


def test_link_on_a_terminal_shows_its_phases_then_the_summary_then_the_json_line(
    populations: Populations,
) -> None:
    """On a terminal, ``link`` shows each phase with its count, then the summary, and the last
    line is the JSON of the run; with ``--quiet`` the JSON line is all it prints (a second run
    with ``--full``, so that it reads every source again rather than their changes)."""
    rc, shown = in_terminal([*LINK, "--data", str(populations.a)])
    lines = screen_lines(shown)
    assert rc == 0, shown[-3000:]
    for phase in PHASES:
        assert any(phase in line for line in lines), (phase, lines)
    assert any(line.startswith("linked in ") for line in lines), lines
    assert any(line.startswith("phases: scan ") for line in lines), lines
    figures = json.loads(lines[-1])
    assert figures["sources"]["tax"]["records"] > 100
    assert figures["peak_memory_mb"] > 0

    rc, shown = in_terminal([*LINK, "--data", str(populations.a), "--quiet", "--full"])
    assert rc == 0, shown[-3000:]
    assert "\x1b" not in shown
    (only,) = screen_lines(shown)
    assert json.loads(only)["sources"]["passports"]["records"] > 50


def test_a_department_that_cannot_be_read_fails_the_run_and_leaves_the_index(
    populations: Populations, tmp_path: Path
) -> None:
    """When the vehicles scan times out page after page, ``link`` exits 1 naming the department
    and why, and the index is exactly as before; ``--allow-missing vehicles`` links the rest and
    says vehicles is missing in the summary and the JSON line."""
    from govgraph import demo

    subprocess.run([*LINK, "--data", str(populations.a), "-q"], check=True, timeout=300)
    index_file = tmp_path / "index.sqlite"
    shutil.copyfile(populations.a / "index.sqlite", index_file)
    before = asyncio.run(_links(index_file))
    slow_vehicles = _env(
        GOVGRAPH__SOURCES__VEHICLES__CHAOS__LATENCY_MS="300",
        GOVGRAPH__SOURCES__VEHICLES__SCAN_PAGE_TIMEOUT_S="0.1",
    )
    with demo.tax_service(populations.b) as tax_url:
        config = _link_config(populations.b, tax_url, index_file)
        failed = subprocess.run(
            [*LINK, "--config", str(config)],
            env=slow_vehicles,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert failed.returncode == 1, failed.stderr[-3000:]
        (error,) = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
        assert "department vehicles" in error and "UpstreamTimeoutError" in error
        assert "the citizen index was not changed" in error
        assert json.loads(failed.stdout.splitlines()[-1])["failed"].keys() == {"vehicles"}
        assert asyncio.run(_links(index_file)) == before

        allowed = subprocess.run(
            [*LINK, "--config", str(config), "--allow-missing", "vehicles"],
            env=slow_vehicles,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    missing = "MISSING (allowed, existing links kept): vehicles: UpstreamTimeoutError"
    assert missing in allowed.stdout
    figures = json.loads(allowed.stdout.splitlines()[-1])
    assert list(figures["missing"]) == ["vehicles"]
    assert "vehicles" not in figures["sources"]
    after = asyncio.run(_links(index_file))
    assert after != before
    assert [x for x in after if x[1] == "vehicles"] == [x for x in before if x[1] == "vehicles"]


ME = "{ me { id departments } }"


@pytest.mark.asyncio(loop_scope="session")
async def test_ctrl_c_after_the_first_phase_keeps_the_old_index_and_a_rerun_completes(
    populations: Populations, tmp_path: Path
) -> None:
    """SIGINT once the first source is read stops ``link`` with status 130 and one line saying
    nothing was written; the gateway answers ``me`` exactly as before over HTTP, and running
    ``link`` again completes and writes the new links."""
    from govgraph import demo
    from govgraph.serve import build_server, wait_started
    from govgraph.settings import load_settings

    await asyncio.to_thread(
        subprocess.run, [*LINK, "--data", str(populations.a), "-q"], check=True, timeout=300
    )
    index_file = populations.a / "index.sqlite"
    before = await _links(index_file)
    citizen = next(cid for cid, source, _key in before if source == "passports")
    idp = demo.identity_provider(populations.a)
    headers = {"Authorization": f"Bearer {idp.token(role='citizen', citizen_id=citizen)}"}
    with demo.tax_service(populations.a) as tax_a, demo.tax_service(populations.b) as tax_b:
        serve_config = populations.a / "serve.toml"
        demo.write_config(serve_config, demo.config_mapping(populations.a, tax_a, port=0))
        server = build_server(load_settings(serve_config), port=0)
        serving = asyncio.create_task(server.serve())
        port = await wait_started(server)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

                async def me() -> object:
                    answer = await client.post("/graphql", json={"query": ME}, headers=headers)
                    return answer.json()

                first = await me()
                assert (
                    first["data"]["me"]["id"] and "PASSPORTS" in first["data"]["me"]["departments"]
                ), first
                config = _link_config(populations.b, tax_b, index_file)
                rc, lines = await asyncio.to_thread(_interrupt_after_first_phase, config)
                assert rc == 130, lines
                assert lines[-1].startswith("link interrupted by SIGINT"), lines
                assert "nothing was written" in lines[-1]
                assert await me() == first
                assert await _links(index_file) == before

                rerun = await asyncio.to_thread(
                    subprocess.run,
                    [*LINK, "--config", str(config), "-q"],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert rerun.returncode == 0, rerun.stderr[-3000:]
                assert json.loads(rerun.stdout)["links"]["new"] > 100
                assert await _links(index_file) != before
        finally:
            server.should_exit = True
            await serving


def _interrupt_after_first_phase(config: Path) -> tuple[int, list[str]]:
    """Run ``link`` (passports slowed so the run is still going), send SIGINT once the first
    phase has ended; its exit status and stderr lines."""
    env = _env(GOVGRAPH__SOURCES__PASSPORTS__CHAOS__LATENCY_MS="2000")
    proc = subprocess.Popen(
        [*LINK, "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith("link: read tax done"):
                proc.send_signal(signal.SIGINT)
                break
        lines += [line.rstrip("\n") for line in proc.stderr]
        return proc.wait(timeout=60), lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
