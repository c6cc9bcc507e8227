"""Decide each candidate pair (linked, rejected or ambiguous) and form clusters of nodes.

- A pair is *link-level* when its match probability is at least ``P_LINK``, *review-level*
  from ``P_REVIEW``, rejected below. When the model was fitted on the population (so its
  probabilities are calibrated on it), a review-level pair from ``P_UNIQUE`` is link-level too
  if it is each node's only review-level candidate of the other's kind (strong evidence, no
  competitor); with the starting parameters only ``P_LINK`` links.
- A node's candidates of one kind compete: when the runner-up is review-level and within
  ``GAP_BITS`` of the best, none of them is linked and all go to review (twins with similar
  names, namesakes at one address). Ambiguous candidates are never linked.
- Link-level pairs join clusters strongest first; a pair that would put two nodes of one kind in
  a cluster, or join groups with a hard conflict (different sex, or different given names no
  record of either group bridges), goes to review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from govgraph.linkage.candidates import Candidate, Node
from govgraph.linkage.compare import group_conflict
from govgraph.linkage.model import FSModel

__all__ = [
    "GAP_BITS",
    "P_LINK",
    "P_REVIEW",
    "P_UNIQUE",
    "Edge",
    "Outcome",
    "classify",
    "decide",
    "decide_edges",
    "edge_of",
    "join",
    "review_reason",
]

P_LINK = 0.995
P_UNIQUE = 0.95
P_REVIEW = 0.5
GAP_BITS = 5.0


@dataclass(slots=True)
class Edge:
    """A scored pair: ``a`` and ``b`` index the nodes."""

    a: int
    b: int
    weight: float
    probability: float
    method: str
    reason: str = ""


@dataclass(slots=True)
class Outcome:
    """Clusters of node indices, the edges that formed them, and the pairs left for review."""

    clusters: list[list[int]] = field(default_factory=list)
    links: list[Edge] = field(default_factory=list)
    """The accepted edges (a spanning forest of the clusters)."""
    reviews: list[Edge] = field(default_factory=list)
    linked_exact: int = 0
    linked_probabilistic: int = 0
    rejected: int = 0
    candidates: int = 0
    """How many candidate pairs were decided (the rest of those compared had a conflict)."""
    scored: list[Edge] = field(default_factory=list)
    """Every pair scored at review level or above (``P_REVIEW``): the only pairs a decision
    depends on, kept so that a relink can decide again without comparing them again."""


class _Clusters:
    def __init__(self, nodes: list[Node]) -> None:
        self.parent = list(range(len(nodes)))
        self.joined: dict[int, list[int]] = {}
        """Members of each root that has been joined to another (a node alone is its own)."""
        self.nodes = nodes

    def members(self, root: int) -> list[int]:
        return self.joined.get(root) or [root]

    def groups(self) -> list[list[int]]:
        """Every cluster's nodes, sorted, in the order of their roots."""
        return [
            sorted(self.joined[i]) if i in self.joined else [i]
            for i, parent in enumerate(self.parent)
            if parent == i
        ]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return "already together"
        left, right = self.members(ra), self.members(rb)
        kinds = {self.nodes[i].kind for i in left}
        clash = kinds & {self.nodes[i].kind for i in right}
        if clash:
            name = next(self.nodes[i].name for i in left if self.nodes[i].kind == min(clash))
            return f"would give one citizen two {name} records"
        ours = [v for i in left for v in self.nodes[i].variants]
        theirs = [v for j in right for v in self.nodes[j].variants]
        if group_conflict(ours, theirs):
            return "conflicts with a record already linked (sex or given name)"
        return ""

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        left, right = self.members(ra), self.members(rb)
        if len(left) < len(right):
            ra, rb, left, right = rb, ra, right, left
        self.parent[rb] = ra
        self.joined.pop(rb, None)
        left.extend(right)
        self.joined[ra] = left


def edge_of(c: Candidate, model: FSModel) -> Edge:
    """A candidate scored with ``model`` (a pair with a conflict has probability 0)."""
    return _edge(c, model)


def _edge(c: Candidate, model: FSModel) -> Edge:
    if c.vetoed:
        return Edge(c.a, c.b, float("-inf"), 0.0, "vetoed")
    weight = model.weight(c.pattern)
    method = "exact:surname_dob_postcode" if c.exact else "probabilistic"
    return Edge(c.a, c.b, weight, model.probability(weight), method)


def _ambiguous(edges: list[Edge], nodes: list[Node]) -> tuple[set[int], set[int]]:
    """Indices of edges that compete too closely with another for the same node, and of edges
    that have no competitor at either end."""
    by_slot: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, e in enumerate(edges):
        if e.probability >= P_REVIEW:
            by_slot[(e.a, nodes[e.b].kind)].append(k)
            by_slot[(e.b, nodes[e.a].kind)].append(k)
    ambiguous: set[int] = set()
    contested: set[int] = set()
    for slot in by_slot.values():
        if len(slot) < 2:
            continue
        contested.update(slot)
        ranked = sorted(slot, key=lambda k: -edges[k].weight)
        best = edges[ranked[0]].weight
        close = [k for k in ranked if best - edges[k].weight < GAP_BITS]
        if len(close) > 1:
            ambiguous.update(close)
    alone = {k for slot in by_slot.values() for k in slot} - contested
    return ambiguous, alone


def review_reason(e: Edge, nodes: list[Node], ambiguous: bool) -> str:
    """Why a pair decided before clustering waits for a caseworker."""
    if ambiguous:
        return f"another {nodes[e.b].name} candidate scores within {GAP_BITS:g} bits"
    return f"match probability {e.probability:.3f} is below {P_LINK}"


def classify(
    edges: list[Edge], nodes: list[Node], fitted: bool
) -> tuple[list[Edge], list[Edge], int]:
    """The link-level edges, the edges for review (each with its reason) and how many were
    rejected; ``fitted`` says whether the model was fitted on the population."""
    ambiguous, alone = _ambiguous(edges, nodes)
    unique_from = P_UNIQUE if fitted else P_LINK
    linkable: list[Edge] = []
    reviews: list[Edge] = []
    rejected = 0
    for k, e in enumerate(edges):
        if k in ambiguous:
            e.reason = review_reason(e, nodes, True)
            reviews.append(e)
        elif e.probability >= P_LINK or (k in alone and e.probability >= unique_from):
            linkable.append(e)
        elif e.probability >= P_REVIEW:
            e.reason = review_reason(e, nodes, False)
            reviews.append(e)
        else:
            rejected += 1
    return linkable, reviews, rejected


def join(nodes: list[Node], linkable: Iterable[Edge], out: Outcome) -> Outcome:
    """Join link-level edges into clusters, strongest first (``linkable`` already in the order
    ``(-weight, a, b)``); an edge that would join two records of one kind or conflicting groups
    goes to ``out.reviews``. Fills ``out.clusters`` and ``out.links``; returns ``out``."""
    clusters = _Clusters(nodes)
    for e in linkable:
        problem = clusters.conflict(e.a, e.b)
        if problem == "already together":
            continue
        if problem:
            e.reason = problem
            out.reviews.append(e)
            continue
        clusters.union(e.a, e.b)
        out.links.append(e)
        if e.method == "probabilistic":
            out.linked_probabilistic += 1
        else:
            out.linked_exact += 1
    out.clusters = clusters.groups()
    return out


def decide(nodes: list[Node], found: list[Candidate], model: FSModel) -> Outcome:
    """Decide every candidate and cluster the nodes (``model`` fitted or with its starting
    parameters, as its ``iterations`` say)."""
    return decide_edges(nodes, [_edge(c, model) for c in found], bool(model.iterations))


def decide_edges(nodes: list[Node], edges: list[Edge], fitted: bool) -> Outcome:
    """Classify scored ``edges`` (each ``a`` < ``b``) and cluster the nodes, as :func:`decide`
    does after scoring; ``fitted`` says whether the model was fitted on the population."""
    linkable, reviews, rejected = classify(edges, nodes, fitted)
    out = Outcome(reviews=reviews, rejected=rejected, candidates=len(edges))
    out.scored = [e for e in edges if e.probability >= P_REVIEW]
    return join(nodes, sorted(linkable, key=lambda e: (-e.weight, e.a, e.b)), out)
