"""Nodes to link and the candidate pairs among them.

A *node* is what one person has at most one of: one value of the identifier a department's
records are keyed by (a NINO, shared by every department keyed by NINO and joined by that
exact rule; a passport number; a driving licence number; ...). The node *kinds* are those
identifiers, numbered in the order the departments are declared.
Candidates are pairs of nodes of different kinds that share the blocking key: the date of birth
with day and month unordered (so swaps meet). Each candidate carries its best comparison vector
over the nodes' identity variants (a NINO node has one per source when they differ).

Most pairs in a block are different people with a hard conflict (a different given name or
sex, between the nodes' variants taken together:
:func:`~govgraph.linkage.compare.group_conflict`). Those are never linked; one in
``VETO_SAMPLE`` of them (chosen by position, so runs are repeatable) is compared in full and
counted ``VETO_SAMPLE`` times, to fit the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from govgraph.linkage.compare import Pattern, compare, conflict, group_conflict
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel

__all__ = [
    "VETO_SAMPLE",
    "Candidate",
    "Node",
    "block_pairs",
    "build_nodes",
    "candidates",
]

VETO_SAMPLE = 10


@dataclass(slots=True)
class Node:
    """One identifier value (a NINO, passport, licence, ...): its source keys and its identity
    variants."""

    kind: int
    name: str
    """The identifier's name (``nino``)."""
    members: list[tuple[str, str]] = field(default_factory=list)
    variants: list[Identity] = field(default_factory=list)

    def add(self, identity: Identity) -> None:
        member = (identity.source, identity.key)
        if member not in self.members:
            self.members.append(member)
        signature = _signature(identity)
        if all(_signature(v) != signature for v in self.variants):
            self.variants.append(identity)


@dataclass(slots=True)
class Candidate:
    """A pair of nodes (``a`` < ``b``) with their best comparison vector."""

    a: int
    b: int
    pattern: Pattern
    exact: bool
    """Whether surname, date of birth and postcode agree exactly (the exact rule)."""
    vetoed: bool
    """Whether some pair of the nodes' variants has a hard conflict."""
    count: int = 1
    """How many compared pairs this one stands for when fitting the model."""


def _signature(i: Identity) -> tuple[object, ...]:
    return (i.sn, i.gn, i.mids, i.date_of_birth, i.sex, i.pc, i.line1, i.licence_number)


def build_nodes(identities: Iterable[Identity], kinds: Mapping[str, tuple[int, str]]) -> list[Node]:
    """Group identities into nodes: one per value of each source's key identifier (``kinds``
    gives, per source, the kind's number and identifier name)."""
    by_key: dict[tuple[int, str], Node] = {}
    for identity in identities:
        kind, name = kinds[identity.source]
        node = by_key.get((kind, identity.key))
        if node is None:
            node = by_key[(kind, identity.key)] = Node(kind, name)
        node.add(identity)
    return sorted(by_key.values(), key=lambda n: (n.kind, n.members[0]))


def _blocks(nodes: list[Node]) -> Iterator[list[int]]:
    by_dob: dict[object, list[int]] = defaultdict(list)
    for i, node in enumerate(nodes):
        for key in {v.dob_block for v in node.variants if v.dob_block is not None}:
            by_dob[key].append(i)
    yield from by_dob.values()


def _best(a: Node, b: Node, model: FSModel, veto: bool) -> Candidate:
    best: Pattern | None = None
    best_weight = float("-inf")
    exact = False
    for x in a.variants:
        for y in b.variants:
            pattern = compare(x, y)
            weight = model.weight(pattern)
            if weight > best_weight:
                best, best_weight = pattern, weight
            exact = exact or (x.exact_key is not None and x.exact_key == y.exact_key)
    assert best is not None
    return Candidate(0, 0, best, exact and not veto, veto)


def block_pairs(nodes: list[Node]) -> Iterator[tuple[int, int]]:
    """Every pair (``a`` < ``b``) of nodes of different kinds that share a blocking key, once."""
    seen: set[int] = set()
    n = len(nodes)
    for block in _blocks(nodes):
        if len(block) < 2:
            continue
        for i, a in enumerate(block):
            kind_a = nodes[a].kind
            for b in block[i + 1 :]:
                if nodes[b].kind == kind_a:
                    continue
                lo, hi = (a, b) if a < b else (b, a)
                pair = lo * n + hi
                if pair not in seen:
                    seen.add(pair)
                    yield lo, hi


def candidates(
    nodes: list[Node], model: FSModel, pairs: Iterable[tuple[int, int]] | None = None
) -> tuple[list[Candidate], int]:
    """Candidate pairs (without conflict, or sampled with one), and how many were compared.

    ``pairs`` are the blocked pairs to compare (each once, ``a`` < ``b``; by default
    :func:`block_pairs`, computed here; :mod:`govgraph.linkage.engine_duckdb` computes the same
    pairs in DuckDB). The result does not depend on their order."""
    found: list[Candidate] = []
    n = len(nodes)
    compared = 0
    for lo, hi in block_pairs(nodes) if pairs is None else pairs:
        compared += 1
        count = 1
        va, vb = nodes[lo].variants, nodes[hi].variants
        single = len(va) == 1 and len(vb) == 1
        clash = conflict(va[0], vb[0]) if single else group_conflict(va, vb)
        if clash:
            if (lo * n + hi) % VETO_SAMPLE:
                continue
            count = VETO_SAMPLE
        candidate = _best(nodes[lo], nodes[hi], model, clash)
        candidate.a, candidate.b, candidate.count = lo, hi, count
        found.append(candidate)
    found.sort(key=lambda c: (c.a, c.b))
    return found, compared
