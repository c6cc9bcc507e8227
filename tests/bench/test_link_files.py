"""``bench/link_files.py`` reads the tax store file taxpayer by taxpayer, whatever its window."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "link_files.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_link_files", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _store(path: Path, n: int, indent: int | None) -> list[dict[str, object]]:
    people = [
        {
            "Nino": f"AA{i:06d}C",
            "Name": {"GivenName": "Zoë" if i % 3 else "Ann", "FamilyName": "O'Brien, Jr"},
            "Address": {"Line": [f"{i} Elm Road", "[flat]"], "PostCode": "NB1 2AB"},
            "TaxYear": [{"Year": "2025-26", "TaxDue": "1.00"}],
        }
        for i in range(n)
    ]
    text = json.dumps({"as_of": "2026-12-05", "taxpayers": people}, indent=indent)
    path.write_text(text, encoding="utf-8")
    return people


@pytest.mark.parametrize("window", [1, 7, 64, 1 << 22])
@pytest.mark.parametrize("indent", [None, 2])
def test_every_taxpayer_in_order_across_window_edges(
    tmp_path: Path, window: int, indent: int | None
) -> None:
    bench = _module()
    bench._CHUNK = window
    people = _store(tmp_path / "taxpayers.json", 25, indent)
    assert list(bench.taxpayers(tmp_path / "taxpayers.json")) == people


def test_an_empty_store_gives_nothing(tmp_path: Path) -> None:
    bench = _module()
    _store(tmp_path / "taxpayers.json", 0, None)
    assert list(bench.taxpayers(tmp_path / "taxpayers.json")) == []


def test_a_store_cut_short_is_refused(tmp_path: Path) -> None:
    bench = _module()
    bench._CHUNK = 16
    _store(tmp_path / "taxpayers.json", 5, None)
    path = tmp_path / "taxpayers.json"
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    with pytest.raises(ValueError, match="cut short"):
        list(bench.taxpayers(path))


def test_a_file_without_a_taxpayers_list_is_refused(tmp_path: Path) -> None:
    bench = _module()
    bench._CHUNK = 4
    (tmp_path / "other.json").write_text('{"as_of": "2026-12-05"}', encoding="utf-8")
    with pytest.raises(ValueError, match="no taxpayers list"):
        list(bench.taxpayers(tmp_path / "other.json"))
