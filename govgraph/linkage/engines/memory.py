"""The in-process engine: Python dictionaries and lists, the reference every engine matches."""

from __future__ import annotations

from collections import Counter

from govgraph.linkage.candidates import Candidate, Node, candidates
from govgraph.linkage.compare import Pattern
from govgraph.linkage.decide import Outcome, decide
from govgraph.linkage.model import FSModel

__all__ = ["MemoryEngine"]


class MemoryEngine:
    """Blocking, comparison, scoring and clustering in this process."""

    def __init__(self) -> None:
        self._found: list[Candidate] = []
        self.parts = 1

    def candidates(self, nodes: list[Node], model: FSModel) -> tuple[int, Counter[Pattern]]:
        self._found, compared = candidates(nodes, model)
        vectors: Counter[Pattern] = Counter()
        for candidate in self._found:
            vectors[candidate.pattern] += candidate.count
        return compared, vectors

    def decide(self, nodes: list[Node], model: FSModel, scored: bool = True) -> Outcome:
        try:
            out = decide(nodes, self._found, model)
        finally:
            self._found = []
        if not scored:
            out.scored = []
        return out

    def close(self) -> None:
        self._found = []
