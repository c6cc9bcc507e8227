"""Run a command on a pseudo-terminal, as a person at a terminal would, and read its screen."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

__all__ = ["in_terminal", "screen_lines"]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")


def in_terminal(argv: list[str], timeout_s: float = 300, **env: str) -> tuple[int, str]:
    """Run ``argv`` with stdin, stdout and stderr on a pseudo-terminal (140 columns, with
    ``env`` added); its exit status and everything it showed."""
    master, slave = pty.openpty()
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "140", "LINES": "40"}
    environ.update(TERM="xterm-256color", **env)
    environ.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=environ)
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.wait(timeout=30), shown.decode("utf-8", "replace")


def screen_lines(shown: str) -> list[str]:
    """The non-blank lines ``shown`` leaves on the screen (escape codes removed, each line as
    its last carriage return left it)."""
    text = ANSI.sub("", shown).replace("\r\n", "\n")
    return [line.split("\r")[-1].rstrip() for line in text.split("\n") if line.strip()]
