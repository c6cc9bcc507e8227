"""schema/ reaches resolvers/ only through the handlers a schema is built with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schema import build_schema
from schema.handlers import HandlersMissing

ROOT = Path(__file__).resolve().parents[2]


async def test_a_schema_built_without_handlers_says_so_when_a_field_runs() -> None:
    """The schema still validates an operation, and the field that needs the API layer fails
    with an error naming the missing handlers (not an import of resolvers/)."""
    result = await build_schema().execute("{ services { name } }")
    assert result.errors is not None
    assert isinstance(result.errors[0].original_error, HandlersMissing)
    assert "handlers" in str(result.errors[0].original_error)


@pytest.mark.parametrize(
    "module", ["resolvers.access", "resolvers.records", "resolvers.statistics", "schema.access"]
)
def test_a_module_imports_first_without_a_cycle(module: str) -> None:
    """Modules that once started an import cycle (schema -> resolvers -> schema) import on
    their own in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
