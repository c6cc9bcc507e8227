"""The example operations for analysts (``schema/examples/*.graphql``).

GraphiQL (``govgraph.explorer``) opens them as tabs, the first one in the editor, so an analyst
starts from a working ``statistics`` query instead of an empty page.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["EXAMPLES", "examples"]


def _examples_folder() -> Path:
    spec = importlib.util.find_spec("schema")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "examples"


EXAMPLES = _examples_folder()
"""The folder of example operations shipped with the ``schema`` package."""


def examples(folder: Path = EXAMPLES) -> list[tuple[str, str]]:
    """``(file name, operation text)`` of every example, in file-name order."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.graphql"))]
