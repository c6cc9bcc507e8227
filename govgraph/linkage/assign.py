"""Give each cluster a citizen id, keeping existing ids stable, and compute the index changes.

- A cluster keeps the citizen id most of its keys are already actively linked to (a
  caseworker's link counts for a thousand); ties go to the smaller id. An id goes to one
  cluster only; a cluster with no id left gets a new one.
- A key whose citizen changes is withdrawn from the old citizen and linked to the new one.
- A key linked before but no longer supported (gone from its source, or now only a review
  candidate) is withdrawn, never silently kept. Sources that could not be read keep their links.
- A caseworker's link is never moved or withdrawn by the linker.
- A citizen left without an active link becomes dormant; its id is never reused.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from govgraph.index import (
    ACTIVE,
    CitizenProfile,
    IndexChanges,
    Link,
    new_citizen_id,
)
from govgraph.linkage.clusters import Cluster
from govgraph.linkage.identity import Identity

__all__ = ["Assignment", "assign"]

_CASEWORKER_VOTE = 1000


@dataclass(slots=True)
class Assignment:
    """The index changes of one run, with counts for the report."""

    changes: IndexChanges = field(default_factory=IndexChanges)
    citizen_of: dict[tuple[str, str], str] = field(default_factory=dict)
    """Citizen id of every (source, key) linked by this run."""
    counts: Counter[str] = field(default_factory=Counter)


def _display(value: str) -> str:
    """``SMITH`` -> ``Smith`` (one shared string per name: millions of citizens' profiles)."""
    return sys.intern(value.title()) if value.isupper() else value


def profile_of(citizen_id: str, identity: Identity | None) -> CitizenProfile:
    """The display profile a citizen gets from its most trusted identity."""
    if identity is None:
        return CitizenProfile(citizen_id, "", "", "", None, (), "", "", "")
    return CitizenProfile(
        citizen_id=citizen_id,
        given_name=_display(identity.given_name),
        middle_names=_display(identity.middle_names),
        surname=_display(identity.surname),
        date_of_birth=identity.date_of_birth,
        address_lines=tuple(_display(x) for x in identity.address_lines),
        town=_display(identity.town),
        postcode=identity.pc,
        source=identity.source,
    )


def _same_profile(a: CitizenProfile, b: CitizenProfile) -> bool:
    return (
        a.given_name == b.given_name
        and a.middle_names == b.middle_names
        and a.surname == b.surname
        and a.date_of_birth == b.date_of_birth
        and a.address_lines == b.address_lines
        and a.town == b.town
        and a.postcode == b.postcode
        and a.source == b.source
    )


def assign(
    clusters: list[Cluster],
    existing: list[Link],
    profiles: Mapping[str, CitizenProfile],
    scanned: Collection[str],
    model_version: str,
) -> Assignment:
    """Citizen ids for ``clusters`` given the ``existing`` links and profiles."""
    now = datetime.now(UTC)
    out = Assignment()
    ch = out.changes
    active = {(x.source, x.key): x for x in existing if x.status == ACTIVE}
    pinned = {sk for sk, x in active.items() if x.method == "caseworker"}

    def votes(cluster: Cluster) -> Counter[str]:
        tally: Counter[str] = Counter()
        for m in cluster.members:
            link = active.get(m.sk)
            if link is not None:
                tally[link.citizen_id] += _CASEWORKER_VOTE if link.method == "caseworker" else 1
        return tally

    # a first run (no active links) has no votes: every cluster in order gets a new id
    tallies = [votes(c) for c in clusters] if active else []
    order = (
        sorted(range(len(clusters)), key=lambda i: -max(tallies[i].values(), default=0))
        if active
        else range(len(clusters))
    )
    taken: set[str] = set()
    for i in order:
        cluster = clusters[i]
        ranked = sorted(tallies[i].items(), key=lambda kv: (-kv[1], kv[0])) if active else []
        cid = next((c for c, _ in ranked if c not in taken), None)
        is_new = cid is None
        if cid is None:
            cid = new_citizen_id()
        taken.add(cid)
        profile = profile_of(cid, cluster.profile)
        if is_new:
            ch.new_citizens.append(profile)
            out.counts["citizens_new"] += 1
        else:
            out.counts["citizens_kept"] += 1
            old = profiles.get(cid)
            if old is None or not _same_profile(old, profile):
                ch.profile_updates.append(profile)
        for m in cluster.members:
            sk = m.sk
            before = active.get(sk)
            if sk in pinned and before is not None and before.citizen_id != cid:
                out.counts["links_caseworker_kept"] += 1
                continue
            out.citizen_of[sk] = cid
            link = Link(cid, m.source, m.key, m.method, m.score, now, model_version)
            if before is None:
                ch.new_links.append(link)
                out.counts["links_new"] += 1
            elif before.citizen_id != cid:
                ch.withdrawals.append(before.link_key)
                ch.new_links.append(link)
                out.counts["links_moved"] += 1
            elif sk in pinned:
                out.counts["links_kept"] += 1
            elif (before.method, before.score, before.model_version) != (
                m.method,
                m.score,
                model_version,
            ):
                ch.link_updates.append(replace(link, linked_at=before.linked_at))
                out.counts["links_updated"] += 1
            else:
                out.counts["links_kept"] += 1
    still_active: set[str] = set(taken)
    for sk, link in active.items():
        if sk in out.citizen_of:
            continue
        if sk in pinned or link.source not in scanned:
            still_active.add(link.citizen_id)
            continue
        ch.withdrawals.append(link.link_key)
        out.counts["links_withdrawn"] += 1
    before_ids = {x.citizen_id for x in active.values()}
    ch.dormant_citizens = sorted(before_ids - still_active)
    out.counts["citizens_dormant"] = len(ch.dormant_citizens)
    return out
