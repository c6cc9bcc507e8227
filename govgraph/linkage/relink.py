"""Relinking after some records changed: read the changes, re-plan only what they touch.

:func:`read_changes` asks each source for what changed since the cursor the state holds
(``changes(since)``), or, for a source without a change feed, reads it whole and keeps the
keys whose mapped identities' fingerprint differs from the stored one (so correctness never
depends on a feed). :func:`plan_changes` then re-plans with the last fitted model:

1. the *changed nodes*: the nodes of every changed or removed record, rebuilt from the stored
   identities of their other records and the new ones;
2. their candidates: the stored nodes sharing a blocking key with them, compared with the
   same blocking passes and comparison code as a full run; pairs scored at review level or
   above replace the changed nodes' stored edges (the others' edges are kept, never compared
   again);
3. the *affected nodes*: every node connected by a review-level edge, before or after the
   change, to a changed node; every node holding a key of a citizen those nodes' keys are
   linked to; the holder of every attached record involved; until nothing more joins. A
   decision depends only on the edges of a node's connected group, so deciding these nodes
   alone gives what a full run with the same model gives them;
4. decide and cluster the affected nodes, give citizen ids with :func:`assign` restricted to
   their citizens, and replace their open reviews.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from govgraph.index import CitizenIndex, CitizenProfile, IndexChanges, Link
from govgraph.linkage.assign import assign
from govgraph.linkage.attach import attach, review_rows
from govgraph.linkage.candidates import Node, block_pairs, blocking_keys, candidates
from govgraph.linkage.clusters import build_clusters
from govgraph.linkage.decide import P_REVIEW, Edge, decide_edges, edge_of
from govgraph.linkage.model import FSModel
from govgraph.linkage.report import LinkReport
from govgraph.linkage.sources import Attachment, RecordMapper
from govgraph.linkage.state import (
    LinkState,
    attachment_data,
    dumps,
    fingerprint,
    held_value,
    identity_data,
    make_attachment,
    make_identity,
)
from legacy_connectors.base import ChangePage, Record
from legacy_connectors.errors import ChangesExpiredError, LegacyError

__all__ = ["Delta", "EdgeRow", "StateRows", "plan_changes", "read_changes", "record_rows"]

EXACT_METHOD = "exact:surname_dob_postcode"
EdgeRow = tuple[int, int, float, float, int]
"""A stored edge: node, node, weight, probability, whether the exact rule held."""


class Feed(Protocol):
    """What a relink needs of a source with a change feed."""

    def changes(self, since: str, batch_size: int = 1000) -> Any: ...


@dataclass(slots=True)
class Delta:
    """What changed, as mapped: new (fingerprint, data) or ``None`` (gone) per (source, key)."""

    recs: dict[tuple[str, str], tuple[int, str] | None] = field(default_factory=dict)
    atts: dict[tuple[str, str], tuple[str, int, str] | None] = field(default_factory=dict)
    """Attachments: (held value, fingerprint, data) or ``None``."""
    cursors: dict[str, str | None] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    """Records read per source (changed records from a feed, every record from a scan)."""
    ways: dict[str, str] = field(default_factory=dict)
    """Per source: ``feed`` or ``scan``."""


def record_rows(
    mapper: RecordMapper, key: str, records: Iterable[Record]
) -> tuple[int, str] | None:
    """The fingerprint and data of an identity-bearing key's records (``None``: nothing to
    link, e.g. no date of birth)."""
    seen: dict[str, list[Any]] = {}
    for record in records:
        identity = mapper.identity(key, record)
        if identity is not None:
            data = identity_data(identity)
            seen.setdefault(dumps(data), data)
    if not seen:
        return None
    text = dumps(list(seen.values()))
    return fingerprint(text), text


def attachment_row(attachment: Attachment) -> tuple[str, int, str]:
    """(held value, fingerprint, data) of an attachment."""
    text = dumps(attachment_data(attachment))
    return held_value(attachment.identifier, attachment.value), fingerprint(text), text


class _Accumulator:
    """Records read for one source, by key, mapped."""

    def __init__(self, mapper: RecordMapper) -> None:
        self.mapper = mapper
        self.records: dict[str, list[Record]] = {}

    def add(self, key: str, record: Record) -> None:
        self.records.setdefault(key, []).append(record)

    def mapped(
        self,
    ) -> tuple[dict[str, tuple[int, str] | None], dict[str, tuple[str, int, str] | None]]:
        recs: dict[str, tuple[int, str] | None] = {}
        atts: dict[str, tuple[str, int, str] | None] = {}
        for key, records in self.records.items():
            if self.mapper.attaches:
                found = None
                for record in records:
                    found = self.mapper.attachment(key, record)
                    if found is not None:
                        break
                if found is None:
                    atts[key.strip()] = None
                else:
                    atts[found.key] = attachment_row(found)
            else:
                recs[key] = record_rows(self.mapper, key, records)
        return recs, atts


async def _from_feed(
    mapper: RecordMapper, connector: Feed, since: str, batch_size: int, delta: Delta
) -> None:
    name = mapper.source
    acc = _Accumulator(mapper)
    removed: set[str] = set()
    cursor = since
    read = 0
    async for page in connector.changes(since, batch_size):
        assert isinstance(page, ChangePage)
        fresh: dict[str, list[Record]] = {}
        for key, record in page.changed:
            fresh.setdefault(key, []).append(record)
            read += 1
        for key, records in fresh.items():
            acc.records[key] = records
            removed.discard(key)
        for key in page.removed:
            acc.records.pop(key, None)
            removed.add(key)
        cursor = page.cursor
    recs, atts = acc.mapped()
    for key in removed:
        if mapper.attaches:
            atts[key.strip()] = None
        else:
            recs[key] = None
    delta.cursors[name] = cursor
    delta.read[name] = read
    delta.ways[name] = "feed"
    _keep_changed(name, recs, atts, None, delta)


async def _from_scan(
    mapper: RecordMapper,
    connector: Any,
    cursor: str | None,
    batch_size: int,
    stored: Mapping[str, int],
    delta: Delta,
) -> None:
    name = mapper.source
    acc = _Accumulator(mapper)
    read = 0
    async for batch in connector.scan(batch_size):
        read += len(batch)
        for key, record in batch:
            acc.add(key, record)
    recs, atts = acc.mapped()
    gone = set(stored) - set(recs) - set(atts)
    for key in gone:
        if mapper.attaches:
            atts[key] = None
        else:
            recs[key] = None
    delta.cursors[name] = cursor
    delta.read[name] = read
    delta.ways[name] = "scan"
    _keep_changed(name, recs, atts, stored, delta)


def _keep_changed(
    name: str,
    recs: Mapping[str, tuple[int, str] | None],
    atts: Mapping[str, tuple[str, int, str] | None],
    stored: Mapping[str, int] | None,
    delta: Delta,
    state: LinkState | None = None,
) -> None:
    """Keep only the keys whose mapped data differs from the stored (``stored``: fingerprints
    of the whole source; else they are looked up later, in :func:`plan_changes`)."""
    for key, rec in recs.items():
        if stored is not None and (
            (rec is None and key not in stored) or (rec is not None and stored.get(key) == rec[0])
        ):
            continue
        delta.recs[(name, key)] = rec
    for key, att in atts.items():
        if stored is not None and (
            (att is None and key not in stored) or (att is not None and stored.get(key) == att[1])
        ):
            continue
        delta.atts[(name, key)] = att


async def read_changes(
    names: list[str],
    mappers: Mapping[str, RecordMapper],
    connectors: Mapping[str, Any],
    state: LinkState,
    batch_size: int,
    phase: Callable[[str], Any],
) -> tuple[Delta, dict[str, str], list[str]]:
    """Each source's changes since the state's cursor (a source with no stored cursor or no
    feed is read whole and compared with the stored fingerprints); the sources that could not
    be read, with why; and those whose feed no longer reaches the stored cursor."""
    delta = Delta()
    errors: dict[str, str] = {}
    expired: list[str] = []
    cursors: Mapping[str, str | None] = state.meta["cursors"]
    for name in names:
        connector = connectors[name]
        since = cursors.get(name)
        tracks = bool(getattr(connector, "tracks_changes", False))
        with phase(f"read {name}"):
            try:
                if since is not None and tracks:
                    await _from_feed(mappers[name], connector, since, batch_size, delta)
                else:
                    cursor = await connector.change_cursor() if tracks else None
                    stored = state.fingerprints(name)
                    await _from_scan(mappers[name], connector, cursor, batch_size, stored, delta)
            except ChangesExpiredError:
                expired.append(name)
            except NotImplementedError:
                errors[name] = "the connector cannot scan its source"
            except LegacyError as exc:
                errors[name] = f"{type(exc).__name__}: {exc.message}"
    return delta, errors, expired


@dataclass(slots=True)
class _Graph:
    """Nodes and edges as the relink sees them: the stored ones with the changes over them."""

    state: LinkState
    order: Mapping[str, int]
    kinds: Mapping[str, tuple[int, str]]
    changed: set[int] = field(default_factory=set)
    new_nodes: dict[int, Node | None] = field(default_factory=dict)
    old_nodes: dict[int, Node | None] = field(default_factory=dict)
    cache: dict[int, Node | None] = field(default_factory=dict)
    new_edges: dict[int, list[EdgeRow]] = field(default_factory=dict)
    changed_held: dict[str, set[int]] = field(default_factory=dict)
    """The changed nodes holding each identifier value, after the change."""

    def build(self, rows: list[tuple[str, str, str]]) -> Node | None:
        node: Node | None = None
        for source, key, text in sorted(rows, key=lambda r: self.order.get(r[0], 1 << 30)):
            for d in json.loads(text):
                identity = make_identity(source, key, d)
                if node is None:
                    kind, name = self.kinds[source]
                    node = Node(kind, name)
                node.add(identity)
        return node

    def nodes(self, ids: Iterable[int]) -> dict[int, Node | None]:
        """The (new) node of each id; ``None`` for a node left without records."""
        wanted = [i for i in ids if i not in self.cache and i not in self.new_nodes]
        if wanted:
            rows = self.state.node_recs(wanted)
            for i in wanted:
                self.cache[i] = self.build(rows.get(i, []))
        return {i: self.new_nodes[i] if i in self.new_nodes else self.cache[i] for i in ids}

    def edges(self, ids: Iterable[int], old: bool = False) -> list[EdgeRow]:
        ids = list(ids)
        stored = self.state.edges(ids)
        if old:
            return stored
        out = [e for e in stored if e[0] not in self.changed and e[1] not in self.changed]
        seen: set[tuple[int, int]] = set()
        for i in ids:
            for e in self.new_edges.get(i, ()):
                if (e[0], e[1]) not in seen:
                    seen.add((e[0], e[1]))
                    out.append(e)
        return out

    def reach(
        self, start: Iterable[int], old: bool = False, within: set[int] | None = None
    ) -> set[int]:
        """Every node connected to ``start`` (by the stored edges if ``old``, else by the
        edges after the change); nodes in ``within`` are taken as already reached."""
        reached = set(within or ())
        frontier = [i for i in set(start) if i not in reached]
        reached.update(frontier)
        while frontier:
            nxt: set[int] = set()
            for a, b, *_ in self.edges(frontier, old):
                for j in (a, b):
                    if j not in reached:
                        nxt.add(j)
            reached |= nxt
            frontier = list(nxt)
        return reached - set(within or ())


def _order_key(node: Node) -> tuple[int, tuple[str, str]]:
    return (node.kind, node.members[0])


def _node_keys(node: Node) -> set[int]:
    return set().union(*(blocking_keys(v) for v in node.variants))


def _held(node: Node | None) -> set[str]:
    if node is None:
        return set()
    return {held_value(i, v) for var in node.variants for i, v in var.held}


@dataclass(slots=True)
class StateRows:
    """What the relink changes in the state, written after the index."""

    rec_removed: list[tuple[str, str]] = field(default_factory=list)
    recs: list[tuple[str, str, int, int, str]] = field(default_factory=list)
    att_removed: list[tuple[str, str]] = field(default_factory=list)
    atts: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    block_removed: list[tuple[int, int]] = field(default_factory=list)
    blocks: list[tuple[int, int]] = field(default_factory=list)
    held_removed: list[tuple[str, int]] = field(default_factory=list)
    held: list[tuple[str, int]] = field(default_factory=list)
    edge_nodes: list[int] = field(default_factory=list)
    edges: list[EdgeRow] = field(default_factory=list)
    next_node: int = 0


async def plan_changes(
    delta: Delta,
    state: LinkState,
    index: CitizenIndex,
    names: list[str],
    kinds: Mapping[str, tuple[int, str]],
    trust: Mapping[str, int],
    model: FSModel,
    model_version: str,
    report: LinkReport,
) -> tuple[IndexChanges, StateRows]:
    """The index changes of a relink and the state rows to write after them."""
    order = {name: i for i, name in enumerate(names)}
    graph = _Graph(state, order, kinds)
    rows = StateRows(next_node=int(state.meta["next_node"]))

    # 1. Changed records and attachments, against the stored ones.
    by_source: dict[str, list[str]] = {}
    for source, key in delta.recs:
        by_source.setdefault(source, []).append(key)
    stored_recs: dict[tuple[str, str], tuple[int, int, str]] = {}
    for source, keys in by_source.items():
        for key, row in state.recs(source, keys).items():
            stored_recs[(source, key)] = row
    recs = {
        sk: rec
        for sk, rec in delta.recs.items()
        if not (
            (rec is None and sk not in stored_recs)
            or (rec is not None and sk in stored_recs and stored_recs[sk][1] == rec[0])
        )
    }
    att_sources: dict[str, list[str]] = {}
    for source, key in delta.atts:
        att_sources.setdefault(source, []).append(key)
    stored_atts: dict[tuple[str, str], tuple[str, int, str]] = {}
    for source, keys in att_sources.items():
        for key, att_row in state.atts(source, keys).items():
            stored_atts[(source, key)] = att_row
    atts = {
        sk: att
        for sk, att in delta.atts.items()
        if not (
            (att is None and sk not in stored_atts)
            or (att is not None and sk in stored_atts and stored_atts[sk][1] == att[1])
        )
    }
    report.changed_records = len(recs) + len(atts)

    # Node of each changed record: its stored node, a node of its kind with the same key, or
    # a new one.
    same_kind: dict[int, list[str]] = {}
    for source in names:
        if source in kinds:
            same_kind.setdefault(kinds[source][0], []).append(source)
    node_of: dict[tuple[str, str], int] = {}
    fresh: dict[tuple[int, str], int] = {}
    for source, key in recs:
        if (source, key) in stored_recs:
            node_of[(source, key)] = stored_recs[(source, key)][0]
            continue
        kind = kinds[source][0]
        found = fresh.get((kind, key))
        if found is None:
            for other in same_kind[kind]:
                if other != source:
                    hit = state.nodes_of(other, [key]).get(key)
                    if hit is not None:
                        found = hit
                        break
        if found is None:
            found = rows.next_node
            rows.next_node += 1
        fresh[(kind, key)] = found
        node_of[(source, key)] = found
    changed = set(node_of.values())
    graph.changed = changed
    before = state.node_recs(changed)
    after: dict[int, list[tuple[str, str, str]]] = {
        n: [r for r in before.get(n, []) if (r[0], r[1]) not in recs] for n in changed
    }
    for (source, key), rec in recs.items():
        if rec is not None:
            after[node_of[(source, key)]].append((source, key, rec[1]))
    for n in changed:
        graph.old_nodes[n] = graph.build(before.get(n, []))
        graph.new_nodes[n] = graph.build(after[n])
        for hv in _held(graph.new_nodes[n]):
            graph.changed_held.setdefault(hv, set()).add(n)

    # 2. Candidates of the changed nodes: compared with every node sharing a blocking key.
    live = {n: node for n, node in graph.new_nodes.items() if node is not None}
    nkeys = {n: _node_keys(node) for n, node in live.items()}
    near = state.nodes_with_keys(set().union(*nkeys.values()) if nkeys else set()) - changed
    neighbours = {n: x for n, x in graph.nodes(near).items() if x is not None}
    local = sorted({**neighbours, **live}.items(), key=lambda item: _order_key(item[1]))
    ids = [n for n, _ in local]
    nodes = [x for _, x in local]
    pairs = [(a, b) for a, b in block_pairs(nodes) if ids[a] in changed or ids[b] in changed]
    found_pairs, compared = candidates(nodes, FSModel(), pairs)
    report.candidate_pairs = compared
    for c in found_pairs:
        e = edge_of(c, model)
        if e.probability >= P_REVIEW:
            edge: EdgeRow = (ids[e.a], ids[e.b], e.weight, e.probability, int(c.exact))
            rows.edges.append(edge)
            graph.new_edges.setdefault(edge[0], []).append(edge)
            graph.new_edges.setdefault(edge[1], []).append(edge)

    # 3. The affected nodes.
    seeds = graph.reach(changed, old=True)
    affected: set[int] = set()
    pending = {n for n in seeds | changed if graph.nodes([n])[n] is not None}
    att_now: dict[tuple[str, str], Attachment | None] = {
        sk: None if att is None else make_attachment(sk[0], sk[1], json.loads(att[2]))
        for sk, att in atts.items()
    }
    citizens: set[str] = set()
    scope: set[tuple[str, str]] = set(recs) | set(atts)
    for n in changed:
        old = graph.old_nodes[n]
        if old is not None:
            scope.update(old.members)
    attaching = {source for source in names if source not in kinds}
    asked: set[tuple[str, str]] = set()
    placed: set[tuple[str, str]] = set()
    while pending:
        grown = graph.reach(pending, within=affected)
        affected |= grown
        current = graph.nodes(grown)
        keys_now: set[tuple[str, str]] = set()
        for n in grown:
            x = current[n]
            if x is not None:
                keys_now.update(x.members)
        keys_now |= scope
        keys_now -= asked
        asked |= keys_now
        scope |= keys_now
        # Citizens of those keys, and every key of theirs.
        by_src: dict[str, list[str]] = {}
        for source, key in keys_now:
            by_src.setdefault(source, []).append(key)
        new_citizens: set[str] = set()
        for source, ks in by_src.items():
            new_citizens.update((await index.citizens_for(source, ks)).values())
        new_citizens -= citizens
        citizens |= new_citizens
        more: set[int] = set()
        if new_citizens:
            held_links = await index.links_for(sorted(new_citizens))
            src_keys: dict[str, list[str]] = {}
            for links in held_links.values():
                for link in links:
                    if link.source in attaching:
                        sk = (link.source, link.key)
                        if sk not in att_now:
                            att_now[sk] = _stored_attachment(state, sk)
                    else:
                        src_keys.setdefault(link.source, []).append(link.key)
            for source, ks in src_keys.items():
                more.update(state.nodes_of(source, ks).values())
                more.update(node_of[(source, k)] for k in ks if (source, k) in node_of)
        # Attachments by an identifier the grown nodes hold (before or after the change).
        hvs: set[str] = set()
        for n in grown:
            hvs |= _held(current[n])
            if n in graph.old_nodes:
                hvs |= _held(graph.old_nodes[n])
        for source, key, _hv, data in state.atts_holding(sorted(hvs)):
            if (source, key) not in att_now:
                att_now[(source, key)] = make_attachment(source, key, json.loads(data))
        for sk, item in att_now.items():
            if item is None or sk in placed:
                continue
            placed.add(sk)
            holder = _holder(graph, held_value(item.identifier, item.value))
            if holder is not None:
                more.add(holder)
        pending = {n for n in more if n not in affected and graph.nodes([n])[n] is not None}

    # 4. Decide, cluster and assign the affected nodes.
    chosen = sorted(
        ((n, x) for n, x in graph.nodes(affected).items() if x is not None),
        key=lambda item: _order_key(item[1]),
    )
    place = {n: i for i, (n, _) in enumerate(chosen)}
    nodes = [x for _, x in chosen]
    edges: list[Edge] = []
    for a, b, w, p, exact in graph.edges(place):
        if a not in place or b not in place:
            continue
        lo, hi = sorted((place[a], place[b]))
        edges.append(Edge(lo, hi, w, p, EXACT_METHOD if exact else "probabilistic"))
    outcome = decide_edges(nodes, edges, bool(model.iterations))
    attachments = [item for sk, item in sorted(att_now.items()) if item is not None]
    attached, attach_reviews = attach(nodes, attachments, report)
    clusters = build_clusters(nodes, outcome, attached, trust)
    existing: list[Link] = []
    if citizens:
        for links in (await index.links_for(sorted(citizens))).values():
            existing += links
    profiles: dict[str, CitizenProfile] = await index.profiles(sorted(citizens))
    assignment = assign(clusters, existing, profiles, set(names), model_version)
    changes = assignment.changes
    changes.reviews = review_rows(
        nodes, outcome, attach_reviews, clusters, assignment.citizen_of, model_version
    )
    for x in nodes:
        scope.update(x.members)
    scope.update(att_now)
    changes.reviews_for = sorted(scope)
    report.nodes = len(nodes)
    report.linked_exact = outcome.linked_exact
    report.linked_probabilistic = outcome.linked_probabilistic
    report.rejected = outcome.rejected
    report.reviews = len(changes.reviews)
    counts = assignment.counts
    report.citizens = {
        k.removeprefix("citizens_"): v for k, v in counts.items() if k.startswith("citizens_")
    }
    report.links = {
        k.removeprefix("links_"): v for k, v in counts.items() if k.startswith("links_")
    }

    # The state's rows.
    for sk, rec in recs.items():
        rows.rec_removed.append(sk)
        if rec is not None:
            rows.recs.append((sk[0], sk[1], node_of[sk], rec[0], rec[1]))
    for sk, att in atts.items():
        rows.att_removed.append(sk)
        if att is not None:
            rows.atts.append((sk[0], sk[1], att[0], att[1], att[2]))
    for n in changed:
        old, new = graph.old_nodes[n], graph.new_nodes[n]
        if old is not None:
            rows.block_removed += [(k, n) for k in _node_keys(old)]
            rows.held_removed += [(hv, n) for hv in _held(old)]
        if new is not None:
            rows.blocks += [(k, n) for k in nkeys[n]]
            rows.held += [(hv, n) for hv in _held(new)]
    rows.edge_nodes = sorted(changed)
    return changes, rows


def _stored_attachment(state: LinkState, sk: tuple[str, str]) -> Attachment | None:
    row = state.atts(sk[0], [sk[1]]).get(sk[1])
    return None if row is None else make_attachment(sk[0], sk[1], json.loads(row[2]))


def _holder(graph: _Graph, hv: str) -> int | None:
    """The node an attachment by ``hv`` joins: the last in node order of those holding it."""
    holders = {n for n in graph.state.holders([hv]).get(hv, set()) if n not in graph.changed}
    holders |= graph.changed_held.get(hv, set())
    found = {n: x for n, x in graph.nodes(holders).items() if x is not None}
    if not found:
        return None
    return max(found, key=lambda n: _order_key(found[n]))
