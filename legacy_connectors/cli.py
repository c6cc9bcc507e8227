"""Sub-commands of the ``govgraph`` command line owned by connector kinds.

A kind names a function ``register(subparsers, host)`` that adds its sub-command: built-in kinds
in :data:`BUILTIN_COMMANDS`, others in the ``govgraph.cli`` entry-point group, e.g.::

    [project.entry-points."govgraph.cli"]
    rest = "govgraph_rest.cli:register"

The module holding ``register`` is imported whenever the command line starts, so at module
level it imports only the standard library (and :mod:`legacy_connectors.cli`); everything else
is imported inside its handlers, which keeps ``govgraph --help`` fast. ``register`` sets
``func=handler`` on its parsers, where ``handler(args) -> int`` returns the exit code.
"""

from __future__ import annotations

import importlib
import sys
from contextlib import AbstractContextManager
from importlib.metadata import entry_points
from typing import Any, Protocol

__all__ = [
    "BUILTIN_COMMANDS",
    "ENTRY_POINT_GROUP",
    "CommandHost",
    "JobProgress",
    "ProgressPhase",
    "kind_commands",
    "register_all",
]

ENTRY_POINT_GROUP = "govgraph.cli"

BUILTIN_COMMANDS: dict[str, str] = {
    "soap": "legacy_connectors.soap.cli:register",
    "sql": "legacy_connectors.sql.cli:register",
    "flatfile": "legacy_connectors.flatfile.cli:register",
}


class ProgressPhase(Protocol):
    """One phase of a long command, advanced by counts."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items done."""
        ...


class JobProgress(Protocol):
    """A long command's progress on standard error (a live display on a terminal; otherwise a
    line every few seconds while a phase runs, so a short run prints nothing; nothing when
    quiet); standard output is never written."""

    def phase(
        self, name: str, total: int | None = None, unit: str = "records"
    ) -> AbstractContextManager[ProgressPhase]:
        """A phase of the command; it ends (and says so) when the block ends."""
        ...

    def note(self, message: str) -> None:
        """A line about the command (not when quiet)."""
        ...

    def close(self) -> None:
        """Stop the display."""
        ...


class CommandHost(Protocol):
    """What the gateway's command line offers a kind's commands."""

    def progress(self, job: str, *, quiet: bool = False) -> JobProgress:
        """The progress display of a long command named ``job``."""
        ...

    def source_options(self, config: str, kind: str) -> dict[str, dict[str, Any]]:
        """The connector options of each source of ``kind`` configured in file ``config``, by
        source name. Raises :class:`~legacy_connectors.errors.ConfigurationError` naming the
        bad key when the file is invalid."""
        ...


def kind_commands() -> dict[str, str]:
    """Each kind's ``module:register`` target, by kind (a built-in wins over a plugin)."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    found.update(BUILTIN_COMMANDS)
    return found


def register_all(subparsers: Any, host: CommandHost) -> None:
    """Add every kind's sub-commands; a plugin whose commands cannot load is left out, named
    on standard error, so that the other commands still work."""
    for kind, target in kind_commands().items():
        module_name, _, attr = target.partition(":")
        try:
            register = getattr(importlib.import_module(module_name), attr)
            register(subparsers, host)
        except Exception as exc:
            if kind in BUILTIN_COMMANDS:
                raise
            print(
                f"govgraph: the {kind!r} commands ({target}) could not load: "
                f"{type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
