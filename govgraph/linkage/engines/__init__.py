"""Where the linkage computation runs: in this process, on DuckDB, or on Spark.

Every engine takes the same nodes (:func:`~govgraph.linkage.candidates.build_nodes`) through the
same three steps and gives the same result (``tests/govgraph/linkage/test_linkage_engines.py``):

1. :meth:`Engine.candidates`: block, compare and sample the candidate pairs; return how many
   pairs were compared and the count of each comparison vector (the model is fitted on those
   counts in the driver: a few hundred distinct vectors);
2. :meth:`Engine.decide`: score every candidate with the fitted model and classify it (link
   level, review, rejected), then join link-level pairs into clusters, strongest first.

``memory`` runs it all in Python (the reference). ``duckdb`` and ``spark`` run blocking,
comparison, scoring and classification as SQL (:mod:`govgraph.linkage.engines.relational`);
the conflict-checked join of link-level pairs (at most a few per record) runs in the driver.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from typing import Protocol

from govgraph.linkage.candidates import Node
from govgraph.linkage.compare import Pattern
from govgraph.linkage.decide import Outcome
from govgraph.linkage.model import FSModel

__all__ = ["ENGINES", "Engine", "UnknownEngine", "check_engine", "open_engine"]

ENGINES = ("memory", "duckdb", "spark")
"""The engine names ``link`` accepts (``--engine``)."""


class UnknownEngine(ValueError):
    """An engine name that is not one of :data:`ENGINES`, or whose library is not installed."""


class Engine(Protocol):
    """One linkage run's computation on one engine (used once, then closed)."""

    parts: int
    """How many parts the last :meth:`candidates` ran in, one after another (1: all at once;
    the DuckDB engine cuts a large population's candidate step to fit in its memory)."""

    def candidates(self, nodes: list[Node], model: FSModel) -> tuple[int, Counter[Pattern]]:
        """Block and compare ``nodes``; return the pairs compared and the vector counts
        (``model`` holds the starting parameters that pick each pair's best variant pair)."""
        ...

    def decide(self, nodes: list[Node], model: FSModel, scored: bool = True) -> Outcome:
        """Score, classify and cluster the candidates of :meth:`candidates` with ``model``;
        ``scored`` says whether to keep every pair scored at review level or above in
        :attr:`~govgraph.linkage.decide.Outcome.scored` (a link state needs them; without,
        the pairs that join nothing are not held)."""
        ...

    def close(self) -> None:
        """Release the engine's resources (called once its decisions are read, and again
        when the run ends: a second call does nothing)."""
        ...


_LIBRARIES = {"duckdb": ("duckdb", "scale"), "spark": ("pyspark", "spark")}


def check_engine(name: str) -> None:
    """Raise :class:`UnknownEngine` if ``name`` is not an engine or its library is missing."""
    if name not in ENGINES:
        raise UnknownEngine(
            f"unknown linkage engine {name!r}: expected one of {', '.join(ENGINES)}"
        )
    if name in _LIBRARIES:
        module, extra = _LIBRARIES[name]
        if importlib.util.find_spec(module) is None:
            raise UnknownEngine(
                f"the {name} engine needs {module}, which is not installed: "
                f"pip install -e '.[{extra}]'"
            )


def open_engine(name: str) -> Engine:
    """A fresh engine by name; an unknown name or a missing library is :class:`UnknownEngine`."""
    check_engine(name)
    if name == "memory":
        from govgraph.linkage.engines.memory import MemoryEngine

        return MemoryEngine()
    if name == "duckdb":
        from govgraph.linkage.engines.duckdb import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from govgraph.linkage.engines.spark import SparkEngine

        return SparkEngine()
    check_engine(name)
    raise AssertionError(name)  # pragma: no cover - check_engine refused it
