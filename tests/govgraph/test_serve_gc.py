"""A gateway that owns its process leaves its start-up heap out of garbage collection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from govgraph.serve import GC_THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, gc, json, sys
from pathlib import Path
from govgraph import demo
from govgraph.serve import build_server, wait_started
from tests.security.support import bare_settings

async def main(data: Path, owns: bool) -> None:
    demo.identity_provider(data)
    before = (gc.get_freeze_count(), gc.get_threshold())
    server = build_server(bare_settings(data), port=0, owns_process=owns)
    task = asyncio.create_task(server.serve())
    await wait_started(server)
    after = (gc.get_freeze_count(), gc.get_threshold())
    server.should_exit = True
    await task
    print(json.dumps({"before": before, "after": after}))

asyncio.run(main(Path(sys.argv[1]), sys.argv[2] == "1"))
"""


def _run(tmp_path: Path, owns: bool) -> dict[str, list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), "1" if owns else "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("owns", [True, False])
def test_the_start_up_heap_is_frozen_only_when_the_server_owns_its_process(
    tmp_path: Path, owns: bool
) -> None:
    """Once started, ``govgraph serve``'s server has frozen its heap and raised the collector's
    thresholds; a server embedded in another program leaves the collector as it found it."""
    seen = _run(tmp_path, owns)
    frozen_before, thresholds_before = seen["before"]
    frozen_after, thresholds_after = seen["after"]
    assert frozen_before == 0
    if owns:
        assert isinstance(frozen_after, int) and frozen_after > 10_000
        assert thresholds_after == list(GC_THRESHOLDS)
    else:
        assert frozen_after == 0
        assert thresholds_after == thresholds_before
