"""Blocking, comparison, scoring and classification as SQL, for any engine that runs it.

The statements below are what :mod:`~govgraph.linkage.compare`, :mod:`~govgraph.linkage.candidates`
and :mod:`~govgraph.linkage.decide` do in Python, written over four tables: ``v`` (one row per
node variant, :func:`~govgraph.linkage.engines.features.variant_batches`), ``nodes`` (each node's
kind), ``keys`` and a weight table per model (each comparison code's weight and probability,
computed in Python). A :class:`Dialect` supplies the few functions engines spell differently; a
:class:`Runner` registers tables, materialises queries and streams rows.

1. ``keys`` (one row per node and blocking key, computed in Python by
   :func:`~govgraph.linkage.candidates.node_keys`, so every engine blocks alike) and ``pairs``:
   node pairs of different kinds sharing a key, once each.
2. ``cand``: every variant pair of every blocked pair compared field by field; per node pair
   the best vector under the starting model (ties: the first variant pair, as in Python), the
   group conflict (a different sex, or different given names no variant of either side
   bridges), the exact rule; pairs with a conflict are kept one in ``VETO_SAMPLE`` (by
   position), counted that many times.

   Steps 1 and 2 run in *parts*: the pairs whose lower node is ``i`` modulo the number of parts,
   one part after another, each part's candidates appended to ``cand``. Every statement of step
   2 looks at one node pair at a time, so the parts' candidates together are exactly the whole's;
   but a part's pairs and their variant rows fit in the engine's memory where a whole national
   population's spill to disk (about 285 B a compared pair). The number of parts comes from the
   key join's size, counted before any pair is made (:data:`KEY_PAIRS_PER_PART`).
3. ``edges``: the candidates at review level or above under the fitted model (every other one
   is rejected); slots (a node and the other's kind) find the ambiguous and the uncontested
   pairs with window functions, then each pair is ambiguous, link-level or review. The driver
   joins link-level pairs strongest first
   (:func:`~govgraph.linkage.decide.join`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from govgraph.linkage.candidates import VETO_SAMPLE, Node
from govgraph.linkage.compare import Pattern
from govgraph.linkage.decide import (
    GAP_BITS,
    P_LINK,
    P_REVIEW,
    P_UNIQUE,
    Edge,
    Outcome,
    join,
    review_reason,
)
from govgraph.linkage.engines.features import (
    decode,
    key_batches,
    node_table,
    variant_batches,
    weight_table,
)
from govgraph.linkage.model import FSModel

__all__ = ["Dialect", "RelationalEngine", "Runner"]

EXACT_METHOD = "exact:surname_dob_postcode"


def _f(x: float) -> str:
    """A double literal (a plain ``0.995`` is a decimal in SQL, compared after rounding)."""
    return f"CAST('{x!r}' AS DOUBLE)"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The functions engines spell differently."""

    name: str

    def one_edit(self, x: str, y: str) -> str:
        """At most one substitution, insertion, deletion or adjacent transposition apart."""
        near = f"abs(length({x}) - length({y})) <= 1"
        if self.name == "duckdb":
            return f"({near} AND damerau_levenshtein({x}, {y}) <= 1)"
        swap = (
            f"concat(substr({x}, 1, i - 1), substr({x}, i + 1, 1), substr({x}, i, 1), "
            f"substr({x}, i + 2)) = {y}"
        )
        return (
            f"({near} AND (levenshtein({x}, {y}) <= 1 OR (length({x}) = length({y}) "
            f"AND length({x}) >= 2 AND exists(sequence(1, length({x}) - 1), i -> {swap}))))"
        )

    def overlap(self, a: str, b: str) -> str:
        """Whether two lists share an element."""
        return f"list_has_any({a}, {b})" if self.name == "duckdb" else f"arrays_overlap({a}, {b})"

    def contains(self, items: str, x: str) -> str:
        """Whether a list holds ``x``."""
        if self.name == "duckdb":
            return f"list_contains({items}, {x})"
        return f"array_contains({items}, {x})"

    def any(self, items: str, var: str, predicate: str) -> str:
        """Whether ``predicate`` (of ``var``) holds for some element of a list."""
        if self.name == "duckdb":
            return f"(len(list_filter({items}, lambda {var}: {predicate})) > 0)"
        return f"exists({items}, {var} -> {predicate})"


class Runner(Protocol):
    """What the relational engine needs of an SQL engine."""

    dialect: Dialect

    def table(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """Make ``data`` queryable as ``name`` (a reader's batches are read once, in turn)."""
        ...

    def create(self, name: str, query: str) -> None:
        """Materialise ``query`` as the table ``name``."""
        ...

    def append(self, name: str, query: str) -> None:
        """Add the rows of ``query`` to the table ``name`` made by :meth:`create`."""
        ...

    def rows(self, query: str) -> Iterator[tuple[Any, ...]]:
        """Stream the rows of ``query``."""
        ...

    def close(self) -> None:
        """Release the engine."""
        ...


KEY_PAIRS_PER_PART = 30_000_000
"""Rows of the blocking-key self-join (pairs of rows sharing a key, before repeated pairs and
pairs of one kind are dropped) per part of the candidate step. A third to a half of them remain
as compared pairs (3.6 key-join rows a pair at 10,000 people, 3.2 at 50,000, about 1.7 at
5,000,000, in 17 parts): 9 to 18 million a part, whose working data (about 285 B a pair) stays
near DuckDB's default 3 GB (its folder peaked at 4.9 GB at 5,000,000 people)."""

_KEY_PAIRS = """
SELECT COALESCE(SUM(n * (n - 1)), 0) / 2 FROM (SELECT COUNT(*) AS n FROM keys GROUP BY k) c
"""
"""How many rows the blocking-key self-join makes: the size of the candidate step's work."""


def _pairs(part: int, parts: int) -> str:
    """Pairs of nodes of different kinds sharing a blocking key, once each, with both nodes'
    variant counts: those of one part (lower node ``part`` modulo ``parts``)."""
    only = f" WHERE node % {parts} = {part}" if parts > 1 else ""
    return f"""
SELECT DISTINCT a.node AS lo, b.node AS hi, a.nv AS anv, b.nv AS bnv
FROM (SELECT * FROM keys{only}) a
  JOIN keys b ON a.k = b.k AND a.node < b.node AND a.kind <> b.kind
"""


def _licence(lic: str, other: str) -> str:
    """The licence level of the number held by ``lic`` against the identity ``other``."""
    return f"""CASE
      WHEN NOT {lic}.lic_ok OR NOT {other}.has_dob THEN 2
      WHEN {lic}.lic_dec <> {other}.dec OR {lic}.lic_yr <> {other}.yr1 THEN 2
      WHEN NOT (({lic}.lic_mon = {other}.mo AND {lic}.lic_day = {other}.d)
             OR ({lic}.lic_mon = {other}.d AND {lic}.lic_day = {other}.mo)) THEN 2
      WHEN {other}.sex <> '' AND {other}.sex <> {lic}.lic_sex THEN 2
      WHEN {other}.sn5 = {lic}.lic_sn5 THEN 0 ELSE 1 END"""


def _levels(d: Dialect, pairs: str) -> str:
    """Every variant pair of the node pairs ``pairs``, with its levels and code."""
    given = f"""CASE
      WHEN x.gn = y.gn THEN 0
      WHEN {d.overlap("x.forms", "y.forms")} THEN 1
      WHEN length(x.gn) > 2 AND length(y.gn) > 2 AND {d.one_edit("x.gn", "y.gn")} THEN 2
      WHEN {d.any("y.fam", "f", d.one_edit("x.gn", "f"))} THEN 2
      WHEN {d.any("x.fam", "f", d.one_edit("y.gn", "f"))} THEN 2
      WHEN {d.contains("y.mids", "x.gn")} OR {d.contains("x.mids", "y.gn")} THEN 3
      WHEN (length(x.gn) = 1 OR length(y.gn) = 1) AND substr(x.gn, 1, 1) = substr(y.gn, 1, 1)
        THEN 3
      ELSE 4 END"""
    return f"""
SELECT lo, hi, xo, yo, g, sx, ex,
  ((((((s * 5 + g) * 3 + m) * 3 + dob) * 4 + addr) * 4 + lic) * 2 + sx) AS code,
  CASE WHEN g <= 2 AND sx = 0 THEN 1 ELSE 0 END AS close
FROM (
SELECT p.lo, p.hi, x.vo AS xo, y.vo AS yo,
  CASE WHEN x.sn = y.sn THEN 0 WHEN {d.one_edit("x.sn", "y.sn")} THEN 1 ELSE 2 END AS s,
  {given} AS g,
  CASE WHEN x.nmids = 0 OR y.nmids = 0 THEN 1
       WHEN x.mid0 = y.mid0 OR ((length(x.mid0) = 1 OR length(y.mid0) = 1)
            AND substr(x.mid0, 1, 1) = substr(y.mid0, 1, 1)) THEN 0
       ELSE 2 END AS m,
  CASE WHEN NOT x.has_dob OR NOT y.has_dob THEN 2
       WHEN x.y = y.y AND x.mo = y.mo AND x.d = y.d THEN 0
       WHEN x.y = y.y AND x.mo = y.d AND x.d = y.mo THEN 1
       ELSE 2 END AS dob,
  CASE WHEN x.pc <> '' AND x.pc = y.pc THEN (CASE WHEN x.line1 = y.line1 THEN 0 ELSE 1 END)
       WHEN x.outward <> '' AND x.outward = y.outward THEN 2
       ELSE 3 END AS addr,
  CASE WHEN x.lic THEN {_licence("x", "y")} WHEN y.lic THEN {_licence("y", "x")} ELSE 3 END
    AS lic,
  CASE WHEN x.sex <> '' AND y.sex <> '' AND x.sex <> y.sex THEN 1 ELSE 0 END AS sx,
  CASE WHEN x.exact AND y.exact AND x.sn = y.sn AND x.y = y.y AND x.mo = y.mo AND x.d = y.d
            AND x.pc = y.pc THEN 1 ELSE 0 END AS ex
FROM ({pairs}) p JOIN v x ON x.node = p.lo JOIN v y ON y.node = p.hi
) levels
"""


def _compared(d: Dialect, nodes: int) -> str:
    """The candidates: per node pair, its best vector, conflict and exact rule, pairs with a
    conflict kept one in ``VETO_SAMPLE``. Pairs of single-variant nodes (most) need no window:
    their one variant pair is the best, and nothing can bridge a conflict."""
    sampled = f"(CAST(lo AS BIGINT) * {nodes} + hi) % {VETO_SAMPLE} = 0"
    single = _levels(d, "SELECT lo, hi FROM pairs WHERE anv = 1 AND bnv = 1")
    multi = _levels(d, "SELECT lo, hi FROM pairs WHERE anv > 1 OR bnv > 1")
    return f"""
WITH single AS (
  SELECT lo, hi, code, CASE WHEN sx = 1 OR g = 4 THEN 1 ELSE 0 END AS clash, ex
  FROM ({single}) c
),
ranked AS (
  SELECT c.lo, c.hi, c.g, c.sx, c.ex, c.code,
    SUM(c.close) OVER (PARTITION BY c.lo, c.hi, c.yo) AS close_y,
    SUM(c.close) OVER (PARTITION BY c.lo, c.hi, c.xo) AS close_x,
    ROW_NUMBER() OVER (PARTITION BY c.lo, c.hi ORDER BY w.w DESC, c.xo, c.yo) AS rk
  FROM ({multi}) c JOIN prior_w w ON w.code = c.code
),
multi AS (
  SELECT lo, hi,
    MAX(CASE WHEN rk = 1 THEN code END) AS code,
    MAX(CASE WHEN sx = 1 OR (g = 4 AND close_x = 0 AND close_y = 0) THEN 1 ELSE 0 END)
      AS clash,
    MAX(ex) AS ex
  FROM ranked GROUP BY lo, hi
),
decided AS (SELECT * FROM single UNION ALL SELECT * FROM multi)
SELECT lo, hi, code, clash, CASE WHEN clash = 1 THEN 0 ELSE ex END AS ex,
  CASE WHEN clash = 1 THEN {VETO_SAMPLE} ELSE 1 END AS n
FROM decided
WHERE clash = 0 OR {sampled}
"""


_VECTORS = "SELECT code, SUM(n) AS n FROM cand GROUP BY code"

_EDGES = f"""
SELECT c.lo AS a, c.hi AS b, c.ex, w.w, w.p, ka.kind AS ka, kb.kind AS kb
FROM cand c JOIN fitted_w w ON w.code = c.code
  JOIN nodes ka ON ka.node = c.lo JOIN nodes kb ON kb.node = c.hi
WHERE c.clash = 0 AND w.p >= {_f(P_REVIEW)}
"""
"""The candidates at review level or above (a pair with a conflict scores 0): the only ones
that can link, go to review or be ambiguous; every other candidate is rejected."""

_CLASSES = f"""
WITH slots AS (
  SELECT a, b, w, a AS node, kb AS k FROM edges
  UNION ALL
  SELECT a, b, w, b AS node, ka AS k FROM edges
),
counted AS (
  SELECT a, b, w, node, k, COUNT(*) OVER (PARTITION BY node, k) AS cnt,
    MAX(w) OVER (PARTITION BY node, k) AS best
  FROM slots
),
closed AS (
  SELECT a, b, w, cnt, best,
    SUM(CASE WHEN best - w < {_f(GAP_BITS)} THEN 1 ELSE 0 END) OVER (PARTITION BY node, k) AS near
  FROM counted
),
flags AS (
  SELECT a, b,
    MAX(CASE WHEN cnt >= 2 AND best - w < {_f(GAP_BITS)} AND near > 1 THEN 1 ELSE 0 END) AS amb,
    MAX(CASE WHEN cnt >= 2 THEN 1 ELSE 0 END) AS contested
  FROM closed GROUP BY a, b
)
SELECT e.a, e.b, e.w, e.p, e.ex,
  CASE WHEN f.amb = 1 THEN 'ambiguous'
       WHEN e.p >= {_f(P_LINK)} OR (f.contested = 0 AND e.p >= {{unique_from}}) THEN 'link'
       ELSE 'review' END AS class
FROM edges e LEFT JOIN flags f ON f.a = e.a AND f.b = e.b
"""


def _one(runner: Runner, query: str) -> Any:
    return next(iter(runner.rows(query)))[0]


class RelationalEngine:
    """The linkage computation as SQL on a :class:`Runner`; the candidate step in parts of
    ``key_pairs_per_part`` key-join rows (``None``: one part, for an engine that partitions
    and spills by itself)."""

    def __init__(self, runner: Runner, key_pairs_per_part: int | None = None) -> None:
        self.runner = runner
        self.key_pairs_per_part = key_pairs_per_part
        self.parts = 1
        """How many parts the last candidate step ran in."""

    def candidates(self, nodes: list[Node], model: FSModel) -> tuple[int, Counter[Pattern]]:
        r = self.runner
        r.table("v", variant_batches(nodes))
        r.table("nodes", node_table(nodes))
        r.table("prior_w", weight_table(model))
        r.table("keys", key_batches(nodes))
        per_part = self.key_pairs_per_part
        self.parts = max(1, -(-int(_one(r, _KEY_PAIRS)) // per_part)) if per_part else 1
        compared = 0
        for part in range(self.parts):
            r.create("pairs", _pairs(part, self.parts))
            compared += int(_one(r, "SELECT COUNT(*) FROM pairs"))
            (r.append if part else r.create)("cand", _compared(r.dialect, len(nodes)))
        r.create("pairs", "SELECT 0 AS lo WHERE false")
        vectors: Counter[Pattern] = Counter()
        for code, n in r.rows(_VECTORS):
            vectors[decode(int(code))] += int(n)
        return int(compared), vectors

    def decide(self, nodes: list[Node], model: FSModel, scored: bool = True) -> Outcome:
        r = self.runner
        r.table("fitted_w", weight_table(model))
        r.create("edges", _EDGES)
        unique_from = P_UNIQUE if model.iterations else P_LINK
        r.create("classes", _CLASSES.replace("{unique_from}", _f(unique_from)))
        out = Outcome(candidates=int(_one(r, "SELECT COUNT(*) FROM cand")))
        out.rejected = out.candidates - int(_one(r, "SELECT COUNT(*) FROM edges"))
        for a, b, w, p, ex, cls in r.rows(
            "SELECT a, b, w, p, ex, class FROM classes WHERE class IN ('ambiguous', 'review') "
            "ORDER BY a, b"
        ):
            e = Edge(int(a), int(b), float(w), float(p), EXACT_METHOD if ex else "probabilistic")
            e.reason = review_reason(e, nodes, cls == "ambiguous")
            out.reviews.append(e)
        out.scored = list(out.reviews) if scored else []

        def linkable() -> Iterator[Edge]:
            """The link-level pairs, strongest first, streamed into the join (only those that
            join two clusters or go to review stay in memory, unless ``scored``)."""
            for a, b, w, p, ex in r.rows(
                "SELECT a, b, w, p, ex FROM classes WHERE class = 'link' ORDER BY w DESC, a, b"
            ):
                e = Edge(
                    int(a), int(b), float(w), float(p), EXACT_METHOD if ex else "probabilistic"
                )
                if scored:
                    out.scored.append(e)
                yield e

        return join(nodes, linkable(), out)

    def close(self) -> None:
        self.runner.close()
