"""Mutation testing of the modules where a silent bug would hurt most, one module at a time.

The modules and each one's own tests are listed in ``pyproject.toml`` under
``[tool.govgraph.mutation]``; mutmut's shared settings are under ``[tool.mutmut]``. For each
module this script copies the working tree into a temporary folder, narrows mutmut there to
that module (``only_mutate``) and to that module's tests, runs ``mutmut run`` and reads
``mutmut results``. A mutant is killed when a test fails (or times out) with it in place.

Score = (killed + timed out) / mutants, where mutants the tests never reach count as
survivors. Surviving mutants listed in ``bench/EQUIVALENT_MUTANTS.md`` (behaviour-preserving,
with a reason) are reported as ``equivalent``; any other survivor is ``unexplained`` and
printed to stderr.

Usage: python bench/mutation.py [--module PATH ...] [--mutant NAME ...] [--max-children 1] [--smoke]
  --mutant: only these mutants (mutmut names, ``*`` allowed), e.g. to check that new tests
  kill the survivors of a full run.
  --smoke: the breaker module only, a few of its mutants (checks the routine still works).
Ends with one JSON line: {"modules": {PATH: {mutants, killed, timeout, survived, no_tests,
score, equivalent, unexplained}}, "min_score": ..., "seconds": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import tomli_w

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "bench" / "EQUIVALENT_MUTANTS.md"
SMOKE_MODULE = "govgraph/resilience/breaker.py"
SMOKE_MUTANTS = "govgraph.resilience.breaker.x_counts_as_failure__mutmut_*"
RESULT_LINE = re.compile(r"^\s+(\S+): (.+)$")
SKIP = {".git", ".venv", ".ci-venv", "mutants", "node_modules", "__pycache__", ".mypy_cache"}


def _config() -> tuple[dict[str, Any], dict[str, list[str]]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data, data["tool"]["govgraph"]["mutation"]


def _copy_tree(dest: Path) -> None:
    """The working tree as it is (tracked and new files, not ignored ones) into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            src = ROOT / name
            if src.is_file():
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
        return
    shutil.copytree(ROOT, dest, ignore=lambda _d, names: [n for n in names if n in SKIP])


def _equivalent() -> set[str]:
    """Mutant names listed in the equivalent-mutant file (as `name` in backticks)."""
    if not EQUIVALENT.exists():
        return set()
    return set(re.findall(r"`([\w.ǁ]+__mutmut_\d+)`", EQUIVALENT.read_text(encoding="utf-8")))


def _mutmut() -> str:
    found = Path(sys.executable).with_name("mutmut")
    return str(found) if found.exists() else "mutmut"


def run_module(
    module: str,
    tests: list[str],
    pyproject: dict[str, Any],
    max_children: int,
    names: list[str],
) -> dict[str, Any]:
    """Run mutmut on ``module`` against ``tests`` in a scratch copy; count the outcomes."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        work = Path(scratch)
        _copy_tree(work)
        config = json.loads(json.dumps(pyproject))
        mutmut = config["tool"]["mutmut"]
        mutmut["only_mutate"] = [module]
        mutmut["pytest_add_cli_args_test_selection"] = tests
        (work / "pyproject.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        started = time.monotonic()
        run = subprocess.run(
            [_mutmut(), "run", "--max-children", str(max_children), *names],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            raise SystemExit(f"mutmut run failed for {module} (exit {run.returncode})")
        listed = subprocess.run(
            [_mutmut(), "results", "--all", "true"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.monotonic() - started
        statuses: dict[str, str] = {}
        for line in listed.stdout.splitlines():
            match = RESULT_LINE.match(line)
            if match:
                statuses[match.group(1)] = match.group(2)
        if names:
            prefixes = [n.rstrip("*") for n in names]
            statuses = {k: v for k, v in statuses.items() if k.startswith(tuple(prefixes))}
        counts = Counter(statuses.values())
        survivors = sorted(k for k, v in statuses.items() if v not in ("killed", "timeout"))
        equivalent = _equivalent()
        unexplained = [name for name in survivors if name not in equivalent]
        for name in unexplained:
            shown = subprocess.run(
                [_mutmut(), "show", name],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            sys.stderr.write(f"{module}: {statuses[name]}: {name}\n{shown.stdout}\n")
    total = len(statuses)
    caught = counts["killed"] + counts["timeout"]
    return {
        "mutants": total,
        "killed": counts["killed"],
        "timeout": counts["timeout"],
        "survived": counts["survived"],
        "no_tests": counts["no tests"],
        "other": total - caught - counts["survived"] - counts["no tests"],
        "score": round(caught / total, 3) if total else None,
        "equivalent": len(survivors) - len(unexplained),
        "unexplained": len(unexplained),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant runs")
    parser.add_argument("--mutant", action="append", help="only this mutant (repeatable)")
    parser.add_argument("--smoke", action="store_true", help="a few breaker mutants only")
    args = parser.parse_args()
    pyproject, modules = _config()
    chosen = [SMOKE_MODULE] if args.smoke else (args.module or list(modules))
    unknown = [m for m in chosen if m not in modules]
    if unknown:
        raise SystemExit(f"not in [tool.govgraph.mutation]: {', '.join(unknown)}")
    names = [SMOKE_MUTANTS] if args.smoke else (args.mutant or [])
    started = time.monotonic()
    results = {}
    for module in chosen:
        tests = [t for t in modules[module] if (ROOT / t).exists()]
        if not tests:
            raise SystemExit(f"none of the tests of {module} exist: {modules[module]}")
        results[module] = run_module(module, tests, pyproject, args.max_children, names)
    scores = [r["score"] for r in results.values() if r["score"] is not None]
    print(
        json.dumps(
            {
                "modules": results,
                "min_score": min(scores) if scores else None,
                "seconds": round(time.monotonic() - started, 1),
                "smoke": args.smoke,
            }
        )
    )


if __name__ == "__main__":
    main()
