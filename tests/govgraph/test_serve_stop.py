"""A gateway stopped while it starts shuts down cleanly: no traceback, the signal's status."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
import tomli_w

from govgraph import demo
from govgraph.serve import StoppedWhileStarting, build_server, wait_started
from tests.security.support import bare_settings
from tests.starting import starting


async def test_wait_started_reports_a_server_stopped_before_it_listens(tmp_path: Path) -> None:
    """``wait_started`` raises ``StoppedWhileStarting``; the server still finishes its shutdown."""
    demo.identity_provider(tmp_path)
    server = build_server(bare_settings(tmp_path), port=0)
    task = asyncio.create_task(server.serve())
    server.should_exit = True
    with pytest.raises(StoppedWhileStarting):
        await wait_started(server)
    await asyncio.wait_for(task, 60)
    assert all(not listener.sockets for listener in getattr(server, "servers", []))


@pytest.mark.parametrize(
    ("signum", "expected"),
    [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_while_serve_starts_stops_it_without_a_traceback(
    tmp_path: Path, signum: signal.Signals, expected: int
) -> None:
    """``govgraph serve`` signalled during its lifespan's start-up shuts down without a
    traceback: ended by SIGTERM itself (shell status 143), exit status 130 after SIGINT."""
    config = tmp_path / "govgraph.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "gateway": {"index_url": f"sqlite+aiosqlite:///{tmp_path / 'index.sqlite'}"},
                "auth": {"issuer": demo.DEMO_ISSUER, "audience": demo.DEMO_AUDIENCE},
                "sources": {},
            }
        )
    )
    with starting(["serve", "--config", str(config), "--port", "0"], tmp_path) as gateway:
        status, stderr = gateway.stop(signum)
    assert "Traceback" not in stderr
    assert "Application shutdown complete" in stderr
    assert status == expected
