"""Write the skeleton of a new connector kind's package (``govgraph new-connector``).

The skeleton is an installable package with its entry point in the ``govgraph.connectors``
group, a connector class with documented ``Settings`` and an in-memory placeholder upstream,
and a conformance test already wired to :mod:`legacy_connectors.testing`; it passes as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from govgraph.scaffold.templates import FILES

__all__ = ["KIND_NAME", "ScaffoldError", "Skeleton", "names_for", "write_skeleton"]

KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
"""What a kind's name may look like: lower case, digits and underscores, 2 to 31 characters."""


class ScaffoldError(ValueError):
    """The skeleton cannot be written (bad name, existing folder)."""


@dataclass(frozen=True, slots=True)
class Skeleton:
    """The names a new kind's package is written under."""

    kind: str
    module: str
    dist: str
    cls: str
    settings: str


def names_for(kind: str) -> Skeleton:
    """The package, distribution and class names for ``kind``."""
    if not KIND_NAME.match(kind):
        raise ScaffoldError(
            f"a kind's name must be lower case letters, digits and underscores, starting with "
            f"a letter (2 to 31 characters), got {kind!r}"
        )
    camel = "".join(part.capitalize() for part in kind.split("_") if part)
    return Skeleton(
        kind=kind,
        module=f"govgraph_{kind}",
        dist=f"govgraph-{kind.replace('_', '-')}",
        cls=f"{camel}Connector",
        settings=f"{camel}Settings",
    )


def write_skeleton(kind: str, parent: Path) -> Path:
    """Write the package for ``kind`` under ``parent``; return its folder."""
    names = names_for(kind)
    root = parent / names.dist
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another --dir or remove it")
    values = {
        "kind": names.kind,
        "module": names.module,
        "dist": names.dist,
        "cls": names.cls,
        "settings": names.settings,
    }
    for rel, text in FILES.items():
        path = root / Template(rel).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    return root
