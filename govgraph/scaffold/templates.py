"""The files of a new connector kind's package, as ``string.Template`` texts.

Placeholders: ``${kind}`` (the kind's name), ``${module}`` (``govgraph_<kind>``),
``${dist}`` (``govgraph-<kind>``), ``${cls}`` (``<Kind>Connector``) and ``${settings}``
(``<Kind>Settings``).
"""

from __future__ import annotations

__all__ = ["FILES"]

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "${dist}"
version = "0.1.0"
description = "A govgraph connector kind: ${kind}."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["govgraph"]

[project.entry-points."govgraph.connectors"]
${kind} = "${module}:${cls}"

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=0.23"]

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "session"
asyncio_default_test_loop_scope = "session"
filterwarnings = ["error"]
"""

README = """# ${dist}

A govgraph connector kind, `${kind}`, registered by entry point in `pyproject.toml`:

```toml
[project.entry-points."govgraph.connectors"]
${kind} = "${module}:${cls}"
```

The skeleton serves records held in its own settings, so that it passes the conformance kit
from the start. Replace the in-memory lookups in `src/${module}/connector.py` with calls to
your upstream, one method at a time, keeping `tests/test_conformance.py` green.

```sh
pip install -e .            # the gateway now finds kind "${kind}"
pytest                      # the conformance kit: done when it passes
govgraph connectors list    # shows ${kind} as a plugin
```

Configure a source of this kind:

```toml
[sources.example]
kind = "${kind}"

[sources.example.options]
records = { K1 = { name = "first" } }
```
"""

INIT = '''"""The ``${kind}`` connector kind for govgraph."""

from __future__ import annotations

from ${module}.connector import (
    ${cls},
    ${settings},
)

__all__ = ["${cls}", "${settings}"]
'''

CONNECTOR = '''"""The ``${kind}`` connector kind: records by key from its upstream.

The skeleton's upstream is a dictionary in its settings. Replace each marked part with calls to
the real system; translate that system's exceptions into govgraph's typed errors in one place
(``legacy_connectors.errors``), ``raise ... from exc``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from pydantic import Field

from legacy_connectors.base import Connector, ConnectorSettings, Health, Record, Result
from legacy_connectors.errors import ConfigurationError

__all__ = ["${cls}", "${settings}"]


class ${settings}(ConnectorSettings):
    """Settings of a ``${kind}`` source.

    A docstring under each field documents it (the conformance kit checks that it does).
    """

    records: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Key to record: the skeleton's in-memory upstream. Replace with the real system's
    address, credentials (an environment variable's name, never the secret) and timeouts."""


class ${cls}(Connector):
    """Serves ``${kind}`` records by key."""

    kind: ClassVar[str] = "${kind}"
    Settings: ClassVar[type[${settings}]] = ${settings}
    settings: ${settings}

    def __init__(self, name: str, settings: ${settings}) -> None:
        super().__init__(name, settings)
        self._store: dict[str, dict[str, Any]] | None = None

    async def open(self) -> None:
        """Connect to the upstream (here: take the records from the settings)."""
        self._store = dict(self.settings.records)

    def _ready(self) -> dict[str, dict[str, Any]]:
        if self._store is None:
            raise ConfigurationError(f"source {self.name!r} is not open", service=self.name)
        return self._store

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One result per key, in order: the record, or ``None`` when the key is unknown."""
        store = self._ready()
        await asyncio.sleep(0)
        results: list[Result] = []
        for key in keys:
            record = store.get(key)
            results.append(None if record is None else dict(record))
        return results

    async def health(self) -> Health:
        """Up when the upstream answers (here: once opened)."""
        if self._store is None:
            return Health(status="down", detail="not opened")
        return Health(status="up", facts={"records": len(self._store)})

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every (key, record), in batches (used for linkage and by ``connectors check``)."""
        pairs = [(key, dict(record)) for key, record in sorted(self._ready().items())]
        for start in range(0, len(pairs), batch_size):
            yield pairs[start : start + batch_size]

    async def aclose(self) -> None:
        """Release connections; safe to call more than once."""
        self._store = None
'''

CONFORMANCE = '''"""The ``${kind}`` kind, found by its entry point, passes the conformance kit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from legacy_connectors.testing import ConnectorConformance

RECORDS = {f"K{n}": {"key": f"K{n}", "value": n} for n in range(1, 8)}


class Test${cls}Conformance(ConnectorConformance):
    kind = "${kind}"

    @pytest.fixture
    def connector_options(self) -> Mapping[str, Any]:
        """Options pointing at a test upstream that holds ``RECORDS``."""
        return {"records": RECORDS}

    @pytest.fixture
    def known_keys(self) -> Sequence[str]:
        return ["K1", "K2", "K5"]

    @pytest.fixture
    def missing_keys(self) -> Sequence[str]:
        return ["K404"]
'''

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "src/${module}/__init__.py": INIT,
    "src/${module}/connector.py": CONNECTOR,
    "tests/test_conformance.py": CONFORMANCE,
}
"""Relative path (itself a template) to file text."""
