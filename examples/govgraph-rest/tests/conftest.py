"""The simulated land registry, served once per session on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from govgraph_rest.simulator import create_app, generate_titles, serve_in_thread

TOKEN = "land-registry-test-token"


@dataclass
class Registry:
    """A running simulated land registry, its titles and its token file."""

    base_url: str
    titles: list[dict[str, Any]]
    token_file: Path

    def options(self, **changes: Any) -> dict[str, Any]:
        """``rest`` connector options for this registry (batch endpoint and scan on)."""
        return {
            "base_url": self.base_url,
            "record_path": "/titles/{key}",
            "batch_path": "/titles",
            "scan_path": "/titles",
            "records_field": "titles",
            "key_field": "title_number",
            "token_file": str(self.token_file),
            **changes,
        }

    @property
    def readable(self) -> list[str]:
        return [t["title_number"] for t in self.titles if not t.get("unreadable")]

    @property
    def unreadable(self) -> list[str]:
        return [t["title_number"] for t in self.titles if t.get("unreadable")]


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    token_file = tmp_path_factory.mktemp("land-registry") / "token"
    token_file.write_text(TOKEN + "\n")
    titles = generate_titles(60, seed=4, unreadable=2)
    with serve_in_thread(create_app(titles, token=TOKEN)) as url:
        yield Registry(url, titles, token_file)
