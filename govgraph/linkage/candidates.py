"""Nodes to link and the candidate pairs among them.

A *node* is what one person has at most one of: one value of the identifier a department's
records are keyed by (a NINO, shared by every department keyed by NINO and joined by that
exact rule; a passport number; a driving licence number; ...). The node *kinds* are those
identifiers, numbered in the order the departments are declared.
Candidates are pairs of nodes of different kinds that share a blocking key (:func:`blocking_keys`),
once each however many keys they share. Every key holds the date of birth with day and month
unordered (so swaps meet) and a sex class, plus one of: a first letter of the given name, of one of
its formal or short forms, or of a middle name (nicknames and swapped names meet); the first two
letters of the surname (a typo in the given name); the postcode district (a typo in both names,
or a new surname). A block is then the people born on one day of one sex who share a
name letter, a surname prefix or a district, so its size barely grows with the population and
the pairs compared grow about linearly with it. The model is still fitted as if whole
date-of-birth blocks were compared: the pairs left out are estimated from a fixed-size sample
(:func:`unblocked_vectors`), so the finer blocks do not tilt the weights towards agreement.

Each candidate carries its best comparison vector over the nodes' identity variants (a NINO
node has one per source when they differ).

Many pairs in a block are different people with a hard conflict (a different given name or
sex, between the nodes' variants taken together:
:func:`~govgraph.linkage.compare.group_conflict`). Those are never linked; one in
``VETO_SAMPLE`` of them (chosen by position, so runs are repeatable) is compared in full and
counted ``VETO_SAMPLE`` times, to fit the model.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zlib import crc32

from govgraph.linkage.compare import Pattern, compare, conflict, group_conflict
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.nicknames import name_family

__all__ = [
    "VETO_SAMPLE",
    "Candidate",
    "Node",
    "block_pairs",
    "blocking_keys",
    "build_nodes",
    "candidates",
    "node_keys",
    "unblocked_vectors",
]

VETO_SAMPLE = 10
UNBLOCKED_SAMPLE = 50_000
"""How many pairs of one date-of-birth block :func:`unblocked_vectors` draws."""


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
    by_kind: dict[int, dict[str, Node]] = {}  # per kind by key: no (kind, key) pair per record
    for identity in identities:
        kind, name = kinds[identity.source]
        by_key = by_kind.get(kind)
        if by_key is None:
            by_key = by_kind[kind] = {}
        node = by_key.get(identity.key)
        if node is None:
            # lists of one (most nodes stay so), not grown by appending (which over-allocates)
            by_key[identity.key] = Node(kind, name, [(identity.source, identity.key)], [identity])
        else:
            node.add(identity)
    out: list[Node] = []
    for kind in sorted(by_kind):
        out += sorted(by_kind.pop(kind).values(), key=lambda n: n.members[0])
    return out


_GIVEN, _SURNAME, _DISTRICT = 1, 2, 3
"""The passes. A key is 62 bits: pass (2), sex class (2), year and unordered day and month (22),
value (32)."""
_SEXES = {"M": (1,), "F": (2,), "": (1, 2, 3)}
"""Sex classes: a different sex is a hard conflict, so a key with an unknown sex is repeated for
every class (``3`` for any sex but ``M`` and ``F``)."""


@lru_cache(maxsize=1 << 16)
def _letters(gn: str, mids: tuple[str, ...]) -> frozenset[int]:
    """First letters that a given name close to this one (level 3 or better) shares: the name's,
    every formal and short form's, and the middle names' (a given name swapped with a middle
    name, or an initial)."""
    return frozenset(ord(x[0]) for x in (gn, *name_family(gn), *mids) if x)


@lru_cache(maxsize=1 << 14)
def _district(outward: str) -> int:
    return crc32(outward.encode())


def blocking_keys(v: Identity) -> set[int]:
    """The identity's blocking keys, as integers (pass, date-of-birth block, sex class, value);
    none without a date of birth. Two identities that a link could join share one unless both
    names and the postcode district disagree."""
    block = v.dob_block
    if block is None:
        return set()
    year, lo, hi = block
    day = (year & 0xFFF) << 10 | lo << 5 | hi
    values = [(_GIVEN, x) for x in _letters(v.gn, v.mids)]
    if v.sn:
        values.append((_SURNAME, ord(v.sn[0]) << 8 | ord(v.sn[1:2] or " ")))
    if v.outward:
        values.append((_DISTRICT, _district(v.outward)))
    return {
        step << 60 | sex << 58 | day << 32 | value
        for sex in _SEXES.get(v.sex, (3,))
        for step, value in values
    }


def node_keys(nodes: list[Node]) -> Iterator[tuple[int, int]]:
    """(node number, key) for every distinct blocking key of each node's variants."""
    for i, node in enumerate(nodes):
        if len(node.variants) == 1:
            keys = blocking_keys(node.variants[0])
        else:
            keys = set().union(*(blocking_keys(v) for v in node.variants))
        for key in keys:
            yield i, key


def _blocks(nodes: list[Node]) -> Iterator[list[int]]:
    by_key: dict[int, list[int]] = defaultdict(list)
    for i, key in node_keys(nodes):
        by_key[key].append(i)
    yield from by_key.values()


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


def _node_keys(node: Node) -> set[int]:
    return set().union(*(blocking_keys(v) for v in node.variants))


def unblocked_vectors(nodes: list[Node], model: FSModel, compared: int) -> Counter[Pattern]:
    """Estimated comparison-vector counts of the pairs that share a date-of-birth block but no
    blocking key (almost all different people), so that the model is fitted on every pair of
    one date-of-birth block, as if that were the block, while only the finer blocks are
    compared. ``compared`` is how many blocked pairs were compared. The estimate scales the
    vectors of ``UNBLOCKED_SAMPLE`` pairs drawn at random (with a fixed seed, so runs and
    engines agree) from the date-of-birth blocks, those sharing a key set aside, to the number
    of unblocked pairs. Cost: one pass over the nodes and the sample, whatever the population.
    """
    by_day: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for i, node in enumerate(nodes):
        for day in {v.dob_block for v in node.variants if v.dob_block is not None}:
            by_day[day].append(i)
    blocks: list[list[int]] = []
    ends: list[int] = []
    total = 0
    for day in sorted(by_day):
        members = by_day[day]
        kinds = Counter(nodes[i].kind for i in members)
        cross = (len(members) ** 2 - sum(c * c for c in kinds.values())) // 2
        if cross:
            total += cross
            blocks.append(members)
            ends.append(total)
    unblocked = total - compared
    if unblocked <= 0:
        return Counter()
    rng = random.Random(0)
    keys: dict[int, set[int]] = {}
    sample: Counter[Pattern] = Counter()
    for _ in range(UNBLOCKED_SAMPLE):
        members = blocks[bisect_right(ends, rng.randrange(total))]
        for _attempt in range(20):
            a, b = rng.sample(members, 2)
            if nodes[a].kind != nodes[b].kind:
                break
        else:
            continue
        ka = keys.get(a)
        if ka is None:
            ka = keys[a] = _node_keys(nodes[a])
        kb = keys.get(b)
        if kb is None:
            kb = keys[b] = _node_keys(nodes[b])
        if ka & kb:
            continue
        lo, hi = (a, b) if a < b else (b, a)
        sample[_best(nodes[lo], nodes[hi], model, False).pattern] += 1
    drawn = sum(sample.values())
    if not drawn:
        return Counter()
    return Counter(
        {p: round(n * unblocked / drawn) for p, n in sample.items() if round(n * unblocked / drawn)}
    )
