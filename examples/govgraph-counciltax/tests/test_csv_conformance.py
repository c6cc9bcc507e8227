"""The ``csv`` kind, found by its entry point, passes govgraph's conformance kit."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from legacy_connectors.testing import ConnectorConformance

ROWS = [
    {"account_ref": f"CT{n:08d}", "surname": f"Name{n}", "balance_due": f"{n}.50"}
    for n in range(1, 13)
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of 12 accounts, one of them with an unreadable amount."""
    path = tmp_path_factory.mktemp("csv") / "bills.csv"
    rows = [*ROWS, {"account_ref": "CT99999999", "surname": "Broken", "balance_due": "12,x"}]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["account_ref", "surname", "balance_due"])
        writer.writeheader()
        writer.writerows(rows)
    return path


class TestCsvConformance(ConnectorConformance):
    """Look-ups by the key column of a CSV export."""

    kind = "csv"

    @pytest.fixture
    def connector_options(self, export: Path) -> Mapping[str, Any]:
        return {
            "path": str(export),
            "key_field": "account_ref",
            "columns": {"balance_due": "decimal"},
        }

    @pytest.fixture
    def known_keys(self) -> Sequence[str]:
        return [r["account_ref"] for r in ROWS[:9]]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["CT00000000", "CT00000099"]

    @pytest.fixture
    def failing_key(self) -> str | None:
        return "CT99999999"

    @pytest.fixture
    def unreachable_options(self, tmp_path: Path) -> Mapping[str, Any] | None:
        return {"path": str(tmp_path / "absent.csv"), "key_field": "account_ref"}
