"""`govgraph demo` stops every child it started on SIGTERM, SIGINT and SIGHUP, ports released."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.starting import starting

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, and theirs (read from /proc)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _bound(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-stop")


@pytest.mark.parametrize(
    "signum",
    [
        signal.SIGTERM,
        pytest.param(signal.SIGINT, marks=pytest.mark.slow),
        pytest.param(signal.SIGHUP, marks=pytest.mark.slow),
    ],
    ids=lambda s: s.name,
)
def test_a_signal_stops_the_demo_and_every_child_it_started(
    demo_dir: Path, signum: signal.Signals
) -> None:
    """The signal ends the demo; the tax service it started is gone and no port is listening."""
    command = [
        sys.executable,
        "-c",
        "import sys; from govgraph.cli import main; sys.exit(main())",
        "demo",
        "--data",
        str(demo_dir),
        "--people",
        "12",
        "--port",
        "0",
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        gateway_url = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if "GraphiQL at " in line:
                gateway_url = line.split("GraphiQL at ", 1)[1].strip()
                break
        assert gateway_url is not None, "the demo did not become ready"
        config = tomllib.loads((demo_dir / "govgraph.toml").read_text())
        tax_url = config["sources"]["tax"]["options"]["endpoint"]
        ports = [urlsplit(gateway_url).port, urlsplit(tax_url).port]
        assert all(port is not None and _bound(port) for port in ports)
        children = _children(proc.pid)
        assert children, "the demo runs the simulated tax service as a child"

        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        assert not [c for c in children if _alive(c)]
        assert not [port for port in ports if port is not None and _bound(port)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_sigterm_while_the_gateway_starts_stops_the_demo_cleanly(
    demo_dir: Path, tmp_path: Path
) -> None:
    """SIGTERM while the gateway's lifespan is still opening ends the demo with status 0, no
    traceback, and its tax service stopped."""
    args = ["demo", "--data", str(demo_dir), "--people", "12", "--port", "0"]
    with starting(args, tmp_path) as demo:
        children = _children(demo.proc.pid)
        assert children, "the demo runs the simulated tax service as a child"
        status, stderr = demo.stop(signal.SIGTERM)
    assert "Traceback" not in stderr
    assert status == 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(c) for c in children):
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]
