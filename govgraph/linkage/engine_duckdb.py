"""Blocking on DuckDB: the candidate pairs of :func:`~govgraph.linkage.candidates.block_pairs`,
computed as a SQL self-join in an embedded DuckDB database instead of Python dictionaries.

The nodes' blocking keys (year of birth, and day and month unordered, per identity variant) go
to DuckDB as one Arrow table; the join returns every pair of nodes of different kinds sharing a
key, once. Comparison, scoring and clustering then run as on the in-process path, so both paths
give the same links (``tests/govgraph/linkage/test_linkage_engines.py``). DuckDB is optional
(``pip install -e '.[scale]'``); without it :func:`duckdb_pairs` raises ``RuntimeError``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from govgraph.linkage.candidates import Node

__all__ = ["duckdb_pairs"]

_PAIRS = """
SELECT DISTINCT a.node AS lo, b.node AS hi
FROM keys a JOIN keys b
  ON a.y = b.y AND a.d1 = b.d1 AND a.d2 = b.d2 AND a.node < b.node AND a.kind <> b.kind
"""
_BATCH = 100_000


def duckdb_pairs(nodes: list[Node], threads: int | None = None) -> Iterator[tuple[int, int]]:
    """Every pair (``a`` < ``b``) of nodes of different kinds sharing a blocking key, once,
    joined in an in-memory DuckDB database (``threads`` caps its worker threads)."""
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("the DuckDB path needs duckdb: pip install -e '.[scale]'") from exc
    node: list[int] = []
    kind: list[int] = []
    y: list[int] = []
    d1: list[int] = []
    d2: list[int] = []
    for i, n in enumerate(nodes):
        for block in {v.dob_block for v in n.variants if v.dob_block is not None}:
            node.append(i)
            kind.append(n.kind)
            y.append(block[0])
            d1.append(block[1])
            d2.append(block[2])
    keys = pa.table({"node": node, "kind": kind, "y": y, "d1": d1, "d2": d2})
    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.register("keys", keys)
        result = con.execute(_PAIRS)
        while rows := result.fetchmany(_BATCH):
            for lo, hi in rows:
                yield int(lo), int(hi)
    finally:
        con.close()
