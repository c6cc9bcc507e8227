"""The linkage computation on an embedded DuckDB database (``--engine duckdb``).

The node variants go to DuckDB as one Arrow table; blocking, comparison, scoring and
classification run as the SQL of :mod:`govgraph.linkage.engines.relational`, in a database
file in a temporary folder that DuckDB spills to when a step outgrows ``memory_limit``; the
candidate step runs in parts small enough to fit in it, so the folder holds the tables, the
candidates kept and one part's working data (4.9 GB at 5,000,000 people, not the 35 GB and more
of the whole comparison at once).
DuckDB is optional (``pip install -e '.[scale]'``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from govgraph.linkage.engines.relational import KEY_PAIRS_PER_PART, Dialect, RelationalEngine

__all__ = ["MEMORY_LIMIT", "DuckDBEngine", "DuckDBRunner"]

MEMORY_LIMIT = "3GB"
"""What DuckDB may hold in memory before it spills to its temporary folder."""
_BATCH = 100_000


class DuckDBRunner:
    """A :class:`~govgraph.linkage.engines.relational.Runner` on a DuckDB database."""

    dialect = Dialect("duckdb")

    def __init__(self, threads: int | None = None, memory_limit: str = MEMORY_LIMIT) -> None:
        import duckdb

        self._folder = tempfile.TemporaryDirectory(prefix="govgraph-link-")
        self._con = duckdb.connect(str(Path(self._folder.name) / "link.duckdb"))
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute("SET preserve_insertion_order = false")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._tables: dict[str, pa.Table] = {}

    def table(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        self._con.register(f"{name}_arrow", data)
        self._con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        self._con.unregister(f"{name}_arrow")

    def create(self, name: str, query: str) -> None:
        self._con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    def append(self, name: str, query: str) -> None:
        self._con.execute(f"INSERT INTO {name} {query}")

    def rows(self, query: str) -> Iterator[tuple[Any, ...]]:
        result = self._con.execute(query)
        while batch := result.fetchmany(_BATCH):
            yield from batch

    def close(self) -> None:
        self._con.close()
        self._folder.cleanup()


class DuckDBEngine(RelationalEngine):
    """Blocking, comparison, scoring and classification in DuckDB, the candidate step in parts
    of ``key_pairs_per_part`` key-join rows."""

    def __init__(
        self,
        threads: int | None = None,
        memory_limit: str = MEMORY_LIMIT,
        key_pairs_per_part: int = KEY_PAIRS_PER_PART,
    ) -> None:
        super().__init__(DuckDBRunner(threads, memory_limit), key_pairs_per_part)
