"""Stop a ``govgraph`` command by a signal while its gateway is still starting."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Starting", "starting"]


@dataclass
class Starting:
    """A ``govgraph`` process whose gateway's start-up waits on the key-set fetch it sent."""

    proc: subprocess.Popen[bytes]
    fetch: socket.socket
    stderr: Path

    def stop(self, signum: signal.Signals, timeout_s: float = 60) -> tuple[int, str]:
        """Send ``signum``, then let the fetch fail so that start-up carries on; the exit
        status (negative: ended by that signal) and everything written to stderr."""
        self.proc.send_signal(signum)
        self.fetch.close()
        status = self.proc.wait(timeout=timeout_s)
        return status, self.stderr.read_text(errors="replace")


@contextlib.contextmanager
def starting(args: list[str], workdir: Path, timeout_s: float = 180) -> Iterator[Starting]:
    """Run ``govgraph ARGS`` with its key-set URL (``auth.jwks_url``) on a local socket that
    accepts the fetch and never answers; yield once the fetch has arrived, i.e. while the
    gateway's lifespan is opening (before it listens, before ``/readyz``). The process is
    killed on the way out if it is still running."""
    with socket.create_server(("127.0.0.1", 0)) as keys:
        keys.settimeout(timeout_s)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "GOVGRAPH__AUTH__JWKS_URL": f"http://127.0.0.1:{keys.getsockname()[1]}/jwks.json",
        }
        command = [
            sys.executable,
            "-c",
            "import sys; from govgraph.cli import main; sys.exit(main())",
        ]
        stderr = workdir / "stderr.txt"
        with stderr.open("wb") as err:
            proc = subprocess.Popen(
                [*command, *args], stdout=subprocess.DEVNULL, stderr=err, env=env
            )
        try:
            try:
                fetch, _ = keys.accept()
            except TimeoutError:
                raise AssertionError(
                    "the gateway never fetched its keys:\n" + stderr.read_text(errors="replace")
                ) from None
            with fetch:
                yield Starting(proc, fetch, stderr)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
