"""Turn decided node clusters into citizens' members: each source key with its method and score.

Within a cluster the most trusted node is the root; every other node's keys carry the method
and score of the edge that reached it (breadth first from the root). Parking keys (VRMs) join
the cluster of the licence whose vehicles list them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from govgraph.linkage.candidates import Node
from govgraph.linkage.decide import Edge, Outcome
from govgraph.linkage.identity import Identity

__all__ = ["SOURCE_TRUST", "Cluster", "Member", "build_clusters"]

SOURCE_TRUST = ("passports", "tax", "vehicles", "benefits")
"""Sources in the order their identity is trusted for a citizen's display profile."""
_ROOT_METHOD = {
    "tax": "exact:nino",
    "benefits": "exact:nino",
    "passports": "exact:passport",
    "vehicles": "exact:licence",
}


@dataclass(slots=True)
class Member:
    """One source key of a citizen, and how it was linked."""

    source: str
    key: str
    method: str
    score: float


@dataclass(slots=True)
class Cluster:
    """One citizen's keys, and the identity chosen for the display profile."""

    members: list[Member] = field(default_factory=list)
    profile: Identity | None = None
    nodes: list[int] = field(default_factory=list)


_TRUST = {source: rank for rank, source in enumerate(SOURCE_TRUST)}


def _trust(source: str) -> int:
    return _TRUST.get(source, len(SOURCE_TRUST))


def _profile(nodes: list[Node], members: list[int]) -> Identity | None:
    variants = [v for i in members for v in nodes[i].variants]
    return min(variants, key=lambda v: _trust(v.source)) if variants else None


def _node_trust(node: Node) -> int:
    return min(_TRUST.get(source, len(SOURCE_TRUST)) for source, _ in node.members)


def build_clusters(
    nodes: list[Node], outcome: Outcome, parking: dict[int, list[str]]
) -> list[Cluster]:
    """One :class:`Cluster` per node cluster, with parking keys attached by licence node."""
    adjacency: dict[int, list[tuple[int, Edge]]] = defaultdict(list)
    for e in outcome.links:
        adjacency[e.a].append((e.b, e))
        adjacency[e.b].append((e.a, e))
    clusters: list[Cluster] = []
    trust = [_node_trust(node) for node in nodes]
    for group in outcome.clusters:
        root = min(group, key=lambda i: (trust[i], i))
        cluster = Cluster(profile=_profile(nodes, group), nodes=group)
        reached: dict[int, Edge | None] = {root: None}
        queue = deque([root])
        while queue:
            i = queue.popleft()
            for j, edge in adjacency.get(i, ()):
                if j not in reached:
                    reached[j] = edge
                    queue.append(j)
        for i in sorted(reached, key=lambda i: (trust[i], i)):
            via = reached[i]
            for n, (source, key) in enumerate(nodes[i].members):
                if via is None or n > 0:
                    cluster.members.append(Member(source, key, _ROOT_METHOD[source], 1.0))
                else:
                    score = 1.0 if via.method.startswith("exact:") else via.probability
                    cluster.members.append(Member(source, key, via.method, round(score, 6)))
            for vrm_key in parking.get(i, ()):
                cluster.members.append(Member("parking", vrm_key, "exact:vrm", 1.0))
        clusters.append(cluster)
    return clusters
