"""What a full run and a relink share after deciding: attached records, and review rows."""

from __future__ import annotations

from govgraph.index import Review
from govgraph.linkage.candidates import Node
from govgraph.linkage.clusters import Cluster
from govgraph.linkage.compare import one_edit
from govgraph.linkage.decide import Outcome
from govgraph.linkage.identity import Identity
from govgraph.linkage.report import LinkReport
from govgraph.linkage.sources import Attachment

__all__ = ["attach", "review_rows"]


def attach(
    nodes: list[Node], attachments: list[Attachment], report: LinkReport
) -> tuple[dict[int, list[tuple[str, str, str]]], list[tuple[Attachment, int, str]]]:
    """Attached (source, key, identifier) by node; and (attachment, node, reason) for review.
    An identifier held by several nodes attaches to the last of them in node order."""
    holders: dict[tuple[str, str], int] = {}
    for i, node in enumerate(nodes):
        for v in node.variants:
            for held in v.held:
                holders[held] = i
    attached: dict[int, list[tuple[str, str, str]]] = {}
    reviews: list[tuple[Attachment, int, str]] = []
    seen: set[tuple[str, str]] = set()
    for item in attachments:
        if (item.source, item.key) in seen:
            continue
        seen.add((item.source, item.key))
        found = holders.get((item.identifier, item.value))
        if found is None:
            report.unattached[item.source] = report.unattached.get(item.source, 0) + 1
            continue
        i = found
        keeper = Identity(
            item.source, item.key, item.surname, item.forenames, "", None, "", item.postcode, (), ""
        )
        agrees = any(
            (keeper.sn and (keeper.sn == v.sn or one_edit(keeper.sn, v.sn)))
            or (keeper.pc and keeper.pc == v.pc)
            for v in nodes[i].variants
        )
        if agrees or not (keeper.sn or keeper.pc):
            attached.setdefault(i, []).append((item.source, item.key, item.identifier))
            report.attached[item.source] = report.attached.get(item.source, 0) + 1
        else:
            reviews.append((item, i, "surname and postcode differ from the identifier's holder"))
    return attached, reviews


def review_rows(
    nodes: list[Node],
    outcome: Outcome,
    attach_reviews: list[tuple[Attachment, int, str]],
    clusters: list[Cluster],
    citizen_of: dict[tuple[str, str], str],
    model_version: str,
) -> list[Review]:
    """The reviews of decided pairs and of attachments whose holder disagrees, each naming
    the candidate's citizen."""
    wanted = {e.b for e in outcome.reviews} | {i for _item, i, _reason in attach_reviews}
    node_citizen: dict[int, str | None] = {}
    for c in clusters:
        if wanted.isdisjoint(c.nodes):
            continue
        keys = [m.sk for m in c.members]
        cid = next((citizen_of[k] for k in keys if k in citizen_of), None)
        node_citizen.update(dict.fromkeys(c.nodes, cid))
    reviews: list[Review] = []
    for e in outcome.reviews:
        a, b = nodes[e.a], nodes[e.b]
        reviews.append(
            Review(
                a.members[0][0],
                a.members[0][1],
                b.members[0][0],
                b.members[0][1],
                node_citizen.get(e.b),
                round(e.probability, 6),
                e.reason,
                model_version,
            )
        )
    for item, i, reason in attach_reviews:
        node = nodes[i]
        reviews.append(
            Review(
                item.source,
                item.key,
                node.members[0][0],
                node.members[0][1],
                node_citizen.get(i),
                0.0,
                reason,
                model_version,
            )
        )
    return reviews
