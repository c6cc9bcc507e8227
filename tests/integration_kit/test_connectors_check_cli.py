"""``govgraph connectors check`` against the demo's configuration, whole and with one source
broken: a table with a verdict per source and a hint per failure."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from govgraph import demo
from govgraph.cli import main
from tests.integration_kit.land import LandRegistry


@pytest.fixture
def demo_config(demo_data: Path, tax_url: str) -> dict[str, Any]:
    """The demo's configuration mapping (every source served by its simulated system)."""
    return demo.config_mapping(demo_data, tax_url)


def _check(
    tmp_path: Path, mapping: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, list[str]], str]:
    path = tmp_path / "govgraph.toml"
    demo.write_config(path, mapping)
    code = main(["connectors", "check", "--config", str(path), *extra])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "SOURCE",
        "KIND",
        "REACHABLE",
        "AUTHENTICATED",
        "LAYOUT",
        "SAMPLE",
        "VERDICT",
    ]
    rows = {cells[0]: cells for cells in (line.split() for line in lines[1:]) if len(cells) == 7}
    return code, rows, out


def test_demo_sources_all_pass(
    tmp_path: Path, demo_config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Every demo source is reachable, its layout matches and a sample decodes: exit 0."""
    code, rows, out = _check(tmp_path, demo_config, capsys)
    assert code == 0, out
    assert set(rows) == {"tax", "benefits", "passports", "vehicles", "parking"}
    assert {row[-1] for row in rows.values()} == {"OK"}
    assert rows["tax"][2:6] == ["ok", "ok", "ok", "ok"]
    assert rows["benefits"][3] == "-"
    assert out.strip().endswith("5 source(s): 5 ok, 0 degraded, 0 failed")


def test_wrong_tax_port_fails_that_source_only(
    tmp_path: Path, demo_config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong SOAP endpoint port fails tax as unreachable, with a hint naming the setting."""
    broken = copy.deepcopy(demo_config)
    broken["sources"]["tax"]["options"]["endpoint"] = "http://127.0.0.1:9/tax"
    code, rows, out = _check(tmp_path, broken, capsys)
    assert code == 1
    assert rows["tax"][2:] == ["FAIL", "-", "-", "-", "FAILED"]
    assert all(rows[n][-1] == "OK" for n in ("benefits", "passports", "vehicles", "parking"))
    assert "tax: reachable: tax could not be reached" in out
    assert "hint: check sources.tax.options.endpoint" in out


def test_wrong_password_fails_authentication(
    tmp_path: Path,
    demo_config: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong WS-Security password is reported as an authentication failure, not as down."""
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    broken = copy.deepcopy(demo_config)
    broken["sources"]["tax"]["options"]["password_file"] = str(wrong)
    code, rows, out = _check(tmp_path, broken, capsys, "--source", "tax")
    assert code == 1
    assert set(rows) == {"tax"}
    assert rows["tax"][2:4] == ["ok", "FAIL"]
    assert "tax: authenticated: UPSTREAM_NOT_AUTHORISED" in out
    assert "password_file" in out
    assert "not-the-password" not in out


def test_renamed_column_fails_the_layout(
    tmp_path: Path, demo_config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A mapping naming a column the database lacks fails layout, naming the mapping key."""
    broken = copy.deepcopy(demo_config)
    columns = broken["sources"]["passports"]["options"]["mapping"]["columns"]
    field = next(iter(columns))
    columns[field] = {**columns[field], "column": "NO_SUCH_COLUMN"}
    code, rows, out = _check(tmp_path, broken, capsys, "--source", "passports")
    assert code == 1
    assert rows["passports"][2:] == ["ok", "-", "FAIL", "FAIL", "FAILED"]
    assert f"passports: layout: columns.{field}: " in out
    assert "passports: sample: CONNECTOR_CONFIGURATION" in out
    assert "hint: run govgraph sql check --source passports" in out


def test_unknown_source_is_refused(
    tmp_path: Path, demo_config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking for a source the configuration lacks exits 2 and lists the known ones."""
    path = tmp_path / "govgraph.toml"
    demo.write_config(path, demo_config)
    assert main(["connectors", "check", "--config", str(path), "--source", "land"]) == 2
    assert "no source named land" in capsys.readouterr().err


def test_list_shows_builtin_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    """`connectors list` names each built-in kind with its class."""
    assert main(["connectors", "list"]) == 0
    out = capsys.readouterr().out
    for line in (
        "soap      built-in  legacy_connectors.soap:SoapConnector",
        "sql       built-in  legacy_connectors.sql:SqlConnector",
    ):
        assert line in out


def _property_config(registry: LandRegistry, **changes: Any) -> dict[str, Any]:
    return {"sources": {"property": {"kind": "rest", "options": registry.options(**changes)}}}


def test_plugin_source_is_checked_through_its_layout_hook(
    tmp_path: Path, land_registry: LandRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plugin kind's source passes every step; its own layout check is used."""
    code, rows, out = _check(tmp_path, _property_config(land_registry), capsys, "-v")
    assert code == 0, out
    assert rows["property"][1:] == ["rest", "ok", "ok", "ok", "ok", "OK"]
    assert "property: authenticated: credentials accepted" in out
    assert "property: layout: matches" in out


def test_plugin_source_with_wrong_key_field_fails_layout(
    tmp_path: Path, land_registry: LandRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    """Records lacking the configured key field fail the layout step, naming the setting."""
    mapping = _property_config(land_registry, key_field="title_no")
    code, rows, out = _check(tmp_path, mapping, capsys)
    assert code == 1
    assert rows["property"][4] == "FAIL"
    assert "key_field 'title_no' is not a field of the records" in out


def test_plugin_source_with_wrong_token_fails_authentication(
    tmp_path: Path, land_registry: LandRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token the registry refuses fails the authentication step, with a credentials hint."""
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token\n")
    mapping = _property_config(land_registry, token_file=str(wrong))
    code, rows, out = _check(tmp_path, mapping, capsys)
    assert code == 1
    assert rows["property"][2:] == ["ok", "FAIL", "-", "-", "FAILED"]
    assert "hint: check the credentials named in sources.property.options" in out
    assert "not-the-token" not in out
