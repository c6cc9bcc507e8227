"""The Node.js side of the client conformance tests: where the pinned tools are, and running
them."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


@dataclass(frozen=True)
class NodeTools:
    """``node`` and the npm packages of ``tests/clients/package-lock.json``, installed."""

    node: str
    folder: Path

    def bin(self, name: str) -> str:
        """The path of an installed package's command."""
        return str(self.folder / "node_modules" / ".bin" / name)

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to the end (at most five minutes), capturing its output."""
        return subprocess.run(
            list(args),
            cwd=cwd or self.folder,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
