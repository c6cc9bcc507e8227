"""Measure the index's links against the generator's ground truth (``truth.jsonl``).

For each pair of sources, a *pair* is two keys (one in each) that belong to one person
(truth) or one citizen (index). Precision is the share of the index's pairs that are true,
recall the share of true pairs the index has. Ambiguous counts are open reviews by the pair
of sources they concern. ``split`` counts people whose keys are spread over several citizens,
``merged`` citizens holding keys of several people.

The truth is ``truth.jsonl`` (one row per person: ``pid`` and each source's key or keys) and any
``truth.*.jsonl`` beside it (rows of ``pid`` and further sources' keys, e.g. written by the
generator of an added department's data). Sources are compared in the order the departments
are declared, then any others.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from govgraph.departments import all_departments
from govgraph.index import CitizenIndex
from govgraph.linkage.words import count

__all__ = ["Evaluation", "PairQuality", "evaluate", "evaluate_groups", "truth_people"]

_NOT_SOURCES = frozenset({"pid", "twin_of"})


@dataclass(slots=True)
class PairQuality:
    """Linkage quality for one pair of sources."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    ambiguous: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "ambiguous": self.ambiguous,
        }


@dataclass(slots=True)
class Evaluation:
    """Precision, recall and ambiguity per source pair and overall."""

    pairs: dict[str, PairQuality] = field(default_factory=dict)
    """By ``"<source>~<source>"``."""
    people: int = 0
    citizens: int = 0
    split: int = 0
    merged: int = 0
    ambiguous: int = 0

    @property
    def overall(self) -> PairQuality:
        q = PairQuality(0, 0, 0, 0)
        for p in self.pairs.values():
            q.true_pairs += p.true_pairs
            q.predicted_pairs += p.predicted_pairs
            q.correct_pairs += p.correct_pairs
            q.ambiguous += p.ambiguous
        return q

    def to_json(self) -> dict[str, Any]:
        """Every figure as a JSON-ready mapping."""
        overall = self.overall
        return {
            "precision": round(overall.precision, 6),
            "recall": round(overall.recall, 6),
            "people": self.people,
            "citizens": self.citizens,
            "split": self.split,
            "merged": self.merged,
            "ambiguous": self.ambiguous,
            "pairs": {name: q.to_json() for name, q in self.pairs.items()},
        }

    def summary(self) -> str:
        """A readable table."""
        o = self.overall
        lines = [
            f"overall precision {o.precision:.5f} recall {o.recall:.5f}; {self.people} people, "
            f"{self.citizens} citizens, {self.split} split, {self.merged} merged, "
            f"{count(self.ambiguous, 'open review')}",
            f"{'pair':<22}{'precision':>10}{'recall':>10}{'true':>9}{'linked':>9}{'ambig':>7}",
        ]
        for name, q in self.pairs.items():
            lines.append(
                f"{name:<22}{q.precision:>10.5f}{q.recall:>10.5f}{q.true_pairs:>9}"
                f"{q.predicted_pairs:>9}{q.ambiguous:>7}"
            )
        return "\n".join(lines)


def _pairs(groups: list[dict[str, list[str]]], s1: str, s2: str) -> set[tuple[str, str]]:
    return {(a, b) for g in groups for a in g.get(s1, ()) for b in g.get(s2, ())}


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def truth_people(path: Path) -> tuple[list[dict[str, list[str]]], list[str]]:
    """Each person's keys by source, and the sources in order."""
    extra: dict[Any, dict[str, Any]] = defaultdict(dict)
    for more in sorted(path.parent.glob(f"{path.stem}.*{path.suffix}")):
        for row in _rows(more):
            extra[row.get("pid")].update(row)
    people: list[dict[str, list[str]]] = []
    seen: set[str] = set()
    for row in _rows(path):
        row = {**row, **extra.get(row.get("pid"), {})}
        keys = {
            s: ([v] if isinstance(v, str) else list(v))
            for s, v in row.items()
            if s not in _NOT_SOURCES
        }
        seen.update(keys)
        people.append(keys)
    declared = [d.source_name for d in all_departments()]
    order = [s for s in declared if s in seen] + sorted(seen - set(declared))
    return people, order


async def evaluate(index: CitizenIndex, truth_path: Path) -> Evaluation:
    """Compare the index's active links with ``truth_path`` (one JSON object per person)."""
    by_citizen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for link in await index.all_links():
        if link.status == "active":
            by_citizen[link.citizen_id][link.source].append(link.key)
    ambiguous: Counter[str] = Counter()
    after = 0
    while True:
        batch = await index.open_reviews(limit=5000, after_id=after)
        if not batch:
            break
        for r in batch:
            ambiguous["~".join(sorted((r.source, r.candidate_source)))] += 1
        after = batch[-1].id or after + len(batch)
    return evaluate_groups(list(by_citizen.values()), truth_path, ambiguous)


def evaluate_groups(
    citizens: list[dict[str, list[str]]],
    truth_path: Path,
    ambiguous: Counter[str] | None = None,
) -> Evaluation:
    """Compare groups of keys by source (one per citizen, from any linker) with ``truth_path``;
    ``ambiguous`` counts open reviews by ``"<source>~<source>"`` (sorted)."""
    people, sources = truth_people(truth_path)
    ambiguous = ambiguous if ambiguous is not None else Counter()
    result = Evaluation(people=len(people), citizens=len(citizens))
    result.ambiguous = sum(ambiguous.values())
    for s1, s2 in combinations(sources, 2):
        truth = _pairs(people, s1, s2)
        predicted = _pairs(citizens, s1, s2)
        if not truth and not predicted:
            continue
        name = f"{s1}~{s2}"
        result.pairs[name] = PairQuality(
            true_pairs=len(truth),
            predicted_pairs=len(predicted),
            correct_pairs=len(truth & predicted),
            ambiguous=ambiguous.get("~".join(sorted((s1, s2))), 0),
        )
    owner = {(s, k): i for i, g in enumerate(people) for s, keys in g.items() for k in keys}
    for g in citizens:
        owners = {owner.get((s, k)) for s, keys in g.items() for k in keys} - {None}
        result.merged += len(owners) > 1
    where: dict[int, set[int]] = defaultdict(set)
    for c, g in enumerate(citizens):
        for s, keys in g.items():
            for k in keys:
                if (s, k) in owner:
                    where[owner[(s, k)]].add(c)
    result.split = sum(len(cs) > 1 for cs in where.values())
    return result
