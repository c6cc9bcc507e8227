"""``docs/connectors.md`` runs as written, so the tutorial cannot drift from the code.

Each ``## `` section runs in its own empty folder, its blocks in order. The HTML comment on
the line before a block (blank lines between are allowed) says what to do with it:

- no comment, ``sh``: run with bash (``-euo pipefail``); it must exit 0.
- no comment, ``python``: run as a script with this interpreter; it must exit 0.
- no comment, ``toml``: must parse.
- ``<!-- file: NAME -->``: write the block to ``NAME`` in the folder (a ``python`` file is
  not run by itself; ``toml`` must parse).
- ``<!-- exit: N -->`` (``sh``): run; it must exit ``N``.
- ``<!-- output -->`` (``text``): each line, whitespace collapsed, must appear within a line
  of the output (stdout and stderr) of the block run just before.
- ``<!-- excerpt: PATH -->``: must appear verbatim in ``PATH`` (relative to the checkout).
- ``<!-- no-run -->``: not run (``python`` must still compile, ``toml`` parse).

A section whose first line after its heading is ``<!-- requires: MODULE -->`` is skipped,
saying so, when ``MODULE`` is not installed (the README's test command installs the
examples). A section whose first line after its heading is ``<!-- slow -->`` runs only in the
slow suite (it installs packages with pip; each ``govgraph new-connector NAME`` it runs is
uninstalled afterwards). ``GOVGRAPH_SRC`` is set to the checkout, and the environment's
``bin`` folder leads ``PATH``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "connectors.md"
_BLOCK = re.compile(
    r"(?:<!--\s*(?P<directive>[^>]*?)\s*-->\s*\n\s*\n?)?^```(?P<lang>\w*)\n(?P<body>.*?)^```\s*$",
    re.S | re.M,
)


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    directive: str
    line: int

    @property
    def verb(self) -> str:
        return self.directive.split(":", 1)[0].strip()

    @property
    def arg(self) -> str:
        return self.directive.split(":", 1)[1].strip() if ":" in self.directive else ""


@dataclass(frozen=True)
class Section:
    title: str
    slow: bool
    blocks: list[Block]
    requires: str = ""
    """A module the section's commands need installed (``<!-- requires: MODULE -->``)."""


def _sections() -> list[Section]:
    text = TUTORIAL.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^## ", text, re.M)]
    sections = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        chunk = text[start:end]
        title, _, rest = chunk.partition("\n")
        offset = text.count("\n", 0, start)
        blocks = [
            Block(
                m["lang"],
                m["body"],
                m["directive"] or "",
                offset + chunk.count("\n", 0, m.start("body")),
            )
            for m in _BLOCK.finditer(chunk)
        ]
        needs = re.match(r"\s*<!--\s*requires:\s*(\S+)\s*-->", rest)
        sections.append(
            Section(
                title[3:].strip(),
                rest.lstrip().startswith("<!-- slow -->"),
                blocks,
                needs.group(1) if needs else "",
            )
        )
    return sections


SECTIONS = _sections()


def _normal(text: str) -> str:
    return " ".join(text.split())


def _env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "GOVGRAPH_SRC": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def _run(block: Block, folder: Path, index: int) -> subprocess.CompletedProcess[str]:
    if block.lang == "python":
        script = folder / f"_block_{index}.py"
        script.write_text(block.body, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-euo", "pipefail", "-c", block.body]
    return subprocess.run(
        command, cwd=folder, env=_env(), capture_output=True, text=True, timeout=300
    )


def _static_checks(block: Block) -> None:
    where = f"{TUTORIAL.name}:{block.line}"
    if block.verb == "excerpt":
        source = (ROOT / block.arg).read_text(encoding="utf-8")
        assert block.body in source, f"{where}: excerpt not found verbatim in {block.arg}"
    elif block.lang == "toml":
        tomllib.loads(block.body)
    elif block.lang == "python":
        compile(block.body, where, "exec")


def _run_section(section: Section, folder: Path) -> None:
    if section.requires and importlib.util.find_spec(section.requires) is None:
        pytest.skip(f"{section.requires} is not installed (see the README's test command)")
    last_output: str | None = None
    for index, block in enumerate(section.blocks):
        where = f"{TUTORIAL.name}:{block.line}"
        _static_checks(block)
        if block.verb == "file":
            (folder / block.arg).write_text(block.body, encoding="utf-8")
        elif block.verb == "output":
            assert last_output is not None, f"{where}: output block with no command before it"
            seen = [_normal(line) for line in last_output.splitlines()]
            for line in block.body.splitlines():
                wanted = _normal(line)
                assert not wanted or any(wanted in got for got in seen), (
                    f"{where}: {line!r} is not in the output:\n{last_output}"
                )
        elif block.verb in ("", "exit") and block.lang in ("sh", "python"):
            result = _run(block, folder, index)
            last_output = result.stdout + result.stderr
            expected = int(block.arg) if block.verb == "exit" else 0
            assert result.returncode == expected, (
                f"{where}: exit {result.returncode}, expected {expected}:\n{last_output}"
            )


def _uninstall_scaffolds(section: Section) -> None:
    for block in section.blocks:
        for name in re.findall(r"govgraph new-connector (\w+)", block.body):
            dist = f"govgraph-{name.replace('_', '-')}"
            subprocess.run(
                [sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", dist],
                capture_output=True,
                timeout=120,
            )


def test_tutorial_has_runnable_sections() -> None:
    """The tutorial has a fast known-kind section and slow new-kind sections, each with code."""
    assert [s.slow for s in SECTIONS[:3]] == [False, True, True]
    assert all(s.blocks for s in SECTIONS[:3])


def test_every_block_is_well_formed() -> None:
    """Excerpts are verbatim in their files, TOML parses and Python compiles, in every section."""
    for section in SECTIONS:
        for block in section.blocks:
            _static_checks(block)


@pytest.mark.parametrize(
    "section", [s for s in SECTIONS if s.blocks and not s.slow], ids=lambda s: s.title
)
def test_section_runs_as_written(section: Section, tmp_path: Path) -> None:
    """Each command and script of the section runs, exits as stated and prints what is shown."""
    _run_section(section, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "section", [s for s in SECTIONS if s.blocks and s.slow], ids=lambda s: s.title
)
def test_slow_section_runs_as_written(section: Section, tmp_path: Path) -> None:
    """Sections that install packages run as written too (packages they scaffold are removed)."""
    try:
        _run_section(section, tmp_path)
    finally:
        _uninstall_scaffolds(section)
