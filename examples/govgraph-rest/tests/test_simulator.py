"""The simulated land registry as its own process, and its data file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from govgraph_rest.simulator import generate_titles, load_titles, save_titles


@pytest.fixture
def registry_process(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """``python -m govgraph_rest.simulator --port 0`` serving a data file; yields its URL."""
    titles = generate_titles(5, seed=3, unreadable=0)
    data = tmp_path / "titles.json"
    save_titles(titles, data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "govgraph_rest.simulator", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield line.removeprefix("listening on ").strip(), titles
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_runner_prints_its_url_and_serves_the_data_file(
    registry_process: tuple[str, list[dict[str, object]]],
) -> None:
    """The runner prints `listening on URL` and serves the titles of --data."""
    url, titles = registry_process
    health = httpx.get(f"{url}/health").json()
    assert health == {"status": "ok", "titles": 5, "api_version": "1.4"}
    number = str(titles[0]["title_number"])
    assert httpx.get(f"{url}/titles/{number}").json() == titles[0]


def test_data_file_round_trips(tmp_path: Path) -> None:
    """Titles saved as the data file load back unchanged."""
    titles = generate_titles(4, seed=1)
    save_titles(titles, tmp_path / "t.json")
    assert load_titles(tmp_path / "t.json") == titles


def test_generated_titles_are_deterministic_and_well_formed() -> None:
    """The same seed gives the same titles; numbers are unique, two letters and six digits."""
    first, again = generate_titles(50, seed=8), generate_titles(50, seed=8)
    assert first == again
    numbers = [t["title_number"] for t in first]
    assert len(set(numbers)) == 50
    assert all(len(n) == 8 and n[:2].isalpha() and n[2:].isdigit() for n in numbers)
