"""Blocking: which record pairs meet, and how the number compared grows with the population."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from govgraph.linkage.candidates import (
    Candidate,
    Node,
    block_pairs,
    blocking_keys,
    candidates,
    unblocked_vectors,
)
from govgraph.linkage.compare import Pattern
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from tests.govgraph.linkage.test_linkage_engines import _nodes

DOB = date(1984, 3, 11)


def person(
    given: str = "William",
    surname: str = "Hartley",
    *,
    middle: str = "James",
    dob: date | None = DOB,
    sex: str = "M",
    postcode: str = "NB4 2PQ",
) -> Identity:
    return Identity(
        "tax", "k", surname, given, middle, dob, sex, postcode, ("12 Mill Lane",), "Northbridge"
    )


def meet(a: Identity, b: Identity) -> bool:
    return bool(blocking_keys(a) & blocking_keys(b))


def test_records_a_link_could_join_share_a_key() -> None:
    """A nickname, a day/month swap, a typo in the given name's first letter, a new surname, a
    move, a given name swapped with the middle name, an initial and an unknown sex each still
    meet the original; so do a new surname and a move together when the given name holds."""
    base = person()
    assert meet(base, person("Bill"))
    assert meet(base, person(dob=date(1984, 11, 3)))
    assert meet(base, person("Eilliam"))
    assert meet(base, person(surname="Okafor"))
    assert meet(base, person(postcode="WV9 1XY"))
    assert meet(base, person("Eilliam", postcode="WV9 1XY"))
    assert meet(base, person("Eilliam", surname="Okafor"))
    assert meet(base, person("Bill", surname="Okafor", postcode="WV9 1XY"))
    assert meet(base, person("James", middle="William", surname="Okafor", postcode="WV9 1XY"))
    assert meet(base, person("W", middle="", surname="Okafor", postcode="WV9 1XY"))
    assert meet(base, person(sex=""))
    assert meet(person("Liiz", sex="F"), person("Elizabeth", surname="Okafor", sex="F"))


def test_records_no_link_could_join_do_not_meet() -> None:
    """A different sex, another birthday or year, or different names and district never meet;
    a record without a date of birth has no key."""
    base = person()
    assert not meet(base, person(sex="F"))
    assert not meet(base, person(dob=date(1984, 3, 12)))
    assert not meet(base, person(dob=date(1985, 3, 11)))
    assert not meet(base, person("Thomas", middle="", surname="Okafor", postcode="WV9 1XY"))
    assert blocking_keys(person(dob=None)) == set()


def test_pairs_compared_grow_about_linearly_with_the_population() -> None:
    """Four times the people compare about four times the pairs: 1.07 times as many per record
    from 4,000 to 16,000 people (blocks on the date of birth alone compare 1.61 times as many
    per record there, as pairs grow with the square of the people per block)."""
    small = _nodes(4_000, 5, "realistic")
    large = _nodes(16_000, 5, "realistic")
    per_node_small = sum(1 for _ in block_pairs(small)) / len(small)
    per_node_large = sum(1 for _ in block_pairs(large)) / len(large)
    assert per_node_small > 0.5
    assert per_node_large < 1.25 * per_node_small


def _dob_block_pairs(nodes: list[Node]) -> list[tuple[int, int]]:
    """Every pair of nodes of different kinds in one date-of-birth block (the coarse blocks)."""
    by_day: dict[object, list[int]] = defaultdict(list)
    for i, node in enumerate(nodes):
        for day in {v.dob_block for v in node.variants if v.dob_block is not None}:
            by_day[day].append(i)
    pairs = {
        (min(a, b), max(a, b))
        for members in by_day.values()
        for x, a in enumerate(members)
        for b in members[x + 1 :]
        if nodes[a].kind != nodes[b].kind
    }
    return sorted(pairs)


def _fitted(vectors: Counter[Pattern]) -> FSModel:
    return FSModel().fit(vectors)


def _vectors(found: list[Candidate]) -> Counter[Pattern]:
    counts: Counter[Pattern] = Counter()
    for c in found:
        counts[c.pattern] += c.count
    return counts


def test_the_model_is_fitted_as_if_whole_date_of_birth_blocks_were_compared() -> None:
    """Comparing only the finer blocks and estimating the rest of each date-of-birth block from
    a sample fits about the model that comparing every pair of those blocks fits: the same
    share of matches and each vector's match probability within 0.02; without the estimate
    the model would take half as many again of the pairs for matches."""
    nodes = _nodes(20_000, 3, "realistic")
    whole_pairs = _dob_block_pairs(nodes)
    whole, _ = candidates(nodes, FSModel(), whole_pairs)
    reference = _fitted(_vectors(whole))
    blocked, compared = candidates(nodes, FSModel())
    assert compared < 0.7 * len(whole_pairs)
    alone = _fitted(_vectors(blocked))
    estimated = _fitted(_vectors(blocked) + unblocked_vectors(nodes, FSModel(), compared))
    assert alone.prior > 1.5 * reference.prior
    assert abs(estimated.prior - reference.prior) < 0.02
    for pattern in {c.pattern for c in whole if not c.vetoed}:
        ours = estimated.probability(estimated.weight(pattern))
        assert abs(ours - reference.probability(reference.weight(pattern))) < 0.02
