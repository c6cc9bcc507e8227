"""``govgraph config check``: every problem in a configuration, each with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgraph.cli import main

VALID = """
[gateway]
port = 8080

[sources.passports]
kind = "sql"
timeout_s = 2.5

[sources.passports.options]
url = "sqlite:///./passports.sqlite"

[sources.passports.options.mapping]
table = "PPT_MASTER"
key = { column = "PPT_NO" }
columns = { passport_number = { column = "PPT_NO" } }
"""

THREE_MISTAKES = """
[gateway]
port = 80000

[sources.passports]
kind = "sql"

[sources.passports.options]
url = "sqlite:///./passports.sqlite"
pool_size = "five"

[sources.passports.options.mapping]
table = "PPT_MASTER"
key = { column = "PPT_NO" }
columns = { passport_number = { column = "PPT_NO" } }

[sources.land]
kind = "soapy"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "govgraph.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_three_mistakes_are_all_reported_with_key_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three mistakes give three problems, each naming its key path, expectation and value."""
    path = _write(tmp_path, THREE_MISTAKES)
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    lines = [line.strip() for line in err.splitlines()]
    assert lines[0] == f"{path}: 3 problems"
    problems = lines[1:]
    assert len(problems) == 3
    by_path = {p.split(":", 1)[0]: p for p in problems}
    assert set(by_path) == {
        "gateway.port",
        "sources.land.kind",
        "sources.passports.options.pool_size",
    }
    assert "less than or equal to 65535" in by_path["gateway.port"]
    assert "found 80000" in by_path["gateway.port"]
    assert "unknown connector kind 'soapy'" in by_path["sources.land.kind"]
    assert "known kinds: " in by_path["sources.land.kind"] and "sql" in by_path["sources.land.kind"]
    assert "valid integer" in by_path["sources.passports.options.pool_size"]
    assert "found 'five'" in by_path["sources.passports.options.pool_size"]


def test_valid_config_passes_and_lists_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid configuration exits 0 and names each source with its kind."""
    path = _write(tmp_path, VALID)
    assert main(["config", "check", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: valid; sources: passports (sql)"


def test_invalid_toml_is_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not TOML is reported as such, with exit code 1."""
    path = _write(tmp_path, "[gateway\nport = 1\n")
    assert main(["config", "check", str(path)]) == 1
    assert "not valid TOML" in capsys.readouterr().err


def test_serve_refuses_an_invalid_config_with_the_same_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server does not start on an invalid config and prints the same three problems."""
    path = _write(tmp_path, THREE_MISTAKES)
    main(["config", "check", str(path)])
    checked = capsys.readouterr().err.splitlines()[1:]
    assert main(["serve", "--config", str(path)]) == 2
    served = capsys.readouterr().err
    for problem in checked:
        assert problem.strip() in served


def test_misspelt_key_suggests_the_known_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt key, top-level or in a connector's options, names the closest known key."""
    text = VALID.replace("port = 8080", "prot = 8080").replace("key = { column", "key = { colum")
    path = _write(tmp_path, text)
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "gateway.prot: unknown key (did you mean 'port'?), found 8080; known keys: " in err
    assert (
        "sources.passports.options.mapping.key.colum: unknown key (did you mean 'column'?)" in err
    )
