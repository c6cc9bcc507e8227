"""Turn decided node clusters into citizens' members: each source key with its method and score.

Within a cluster the most trusted node is the root; every other node's keys carry the method
and score of the edge that reached it (breadth first from the root). Attached records (e.g.
notices by VRM) join the cluster of the node whose records carry their identifier.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from govgraph.linkage.candidates import Node
from govgraph.linkage.decide import Edge, Outcome
from govgraph.linkage.identity import Identity

__all__ = ["Cluster", "Member", "build_clusters"]


@dataclass(slots=True)
class Member:
    """One source key of a citizen, and how it was linked."""

    sk: tuple[str, str]
    """(source, key): the node's own pair, shared, not a copy per member."""
    method: str
    score: float

    @property
    def source(self) -> str:
        return self.sk[0]

    @property
    def key(self) -> str:
        return self.sk[1]


@dataclass(slots=True)
class Cluster:
    """One citizen's keys, and the identity chosen for the display profile."""

    members: list[Member] = field(default_factory=list)
    profile: Identity | None = None
    nodes: list[int] = field(default_factory=list)


_UNRANKED = 1_000_000


def _profile(nodes: list[Node], members: list[int], trust: Mapping[str, int]) -> Identity | None:
    variants = [v for i in members for v in nodes[i].variants]
    return min(variants, key=lambda v: trust.get(v.source, _UNRANKED)) if variants else None


def _node_trust(node: Node, trust: Mapping[str, int]) -> int:
    return min(trust.get(source, _UNRANKED) for source, _ in node.members)


def build_clusters(
    nodes: list[Node],
    outcome: Outcome,
    attached: Mapping[int, list[tuple[str, str, str]]],
    trust: Mapping[str, int],
) -> list[Cluster]:
    """One :class:`Cluster` per node cluster, with attached (source, key, identifier) records
    by node; ``trust`` ranks sources for the display profile and the root (lowest first)."""
    adjacency: dict[int, list[Edge]] = defaultdict(list)
    for e in outcome.links:
        adjacency[e.a].append(e)
        adjacency[e.b].append(e)
    clusters: list[Cluster] = []
    ranks = [_node_trust(node, trust) for node in nodes]
    methods: dict[str, str] = {}  # one ``exact:NAME`` string per name, not one per member
    for group in outcome.clusters:
        root = min(group, key=lambda i: (ranks[i], i))
        cluster = Cluster(profile=_profile(nodes, group, trust), nodes=group)
        reached: dict[int, Edge | None] = {root: None}
        queue = deque([root])
        while queue:
            i = queue.popleft()
            for edge in adjacency.get(i, ()):
                j = edge.b if edge.a == i else edge.a
                if j not in reached:
                    reached[j] = edge
                    queue.append(j)
        for i in sorted(reached, key=lambda i: (ranks[i], i)):
            via = reached[i]
            for n, sk in enumerate(nodes[i].members):
                if via is None or n > 0:
                    name = nodes[i].name
                    method = methods.get(name) or methods.setdefault(name, f"exact:{name}")
                    cluster.members.append(Member(sk, method, 1.0))
                else:
                    score = 1.0 if via.method.startswith("exact:") else via.probability
                    cluster.members.append(Member(sk, via.method, round(score, 6)))
            for source, key, identifier in attached.get(i, ()):
                method = methods.get(identifier) or methods.setdefault(
                    identifier, f"exact:{identifier}"
                )
                cluster.members.append(Member((source, key), method, 1.0))
        clusters.append(cluster)
    return clusters
