"""Entries are hashed over exactly RFC 8785's bytes, whichever serialiser makes them."""

from __future__ import annotations

import hashlib

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.ledger import GENESIS, AccessEntry, entry_hash
from govgraph.ledger.chain import canonical_list

_TEXT = st.text(max_size=24) | st.text(st.characters(max_codepoint=127), max_size=24)


@settings(max_examples=400, deadline=None)
@given(
    seq=st.integers(min_value=0, max_value=2**53 - 1),
    texts=st.lists(_TEXT, min_size=6, max_size=6),
    purpose=st.none() | _TEXT,
    sources=st.lists(_TEXT, max_size=4),
    groups=st.lists(_TEXT, max_size=4),
)
def test_the_hash_covers_the_rfc8785_bytes_of_any_entry(
    seq: int,
    texts: list[str],
    purpose: str | None,
    sources: list[str],
    groups: list[str],
) -> None:
    """For any entry (ASCII or not, control characters, quotes, backslashes, large sequence
    numbers) the chain hash is the SHA-256 of the rfc8785 package's bytes, and a list column
    is the rfc8785 text of the list."""
    at, request_id, actor, role, citizen_id, prev = texts
    entry = AccessEntry(
        request_id, actor, role, purpose, citizen_id, tuple(sources), tuple(groups), at=at
    )
    expected = rfc8785.dumps(
        {
            "form": 2,
            "seq": seq,
            "at": at,
            "request_id": request_id,
            "actor": actor,
            "role": role,
            "purpose": purpose,
            "citizen_id": citizen_id,
            "sources": sources,
            "field_groups": groups,
            "prev_hash": prev,
        }
    )
    assert entry_hash(seq, entry, prev) == hashlib.sha256(expected).hexdigest()
    assert canonical_list(sources) == str(rfc8785.dumps(sources), "utf-8")


def test_a_typical_entry_hashes_as_before() -> None:
    """A gateway-written entry (ASCII ids, hex hashes) hashes to the rfc8785 package's bytes."""
    entry = AccessEntry(
        "0123456789abcdef0123456789abcdef",
        "f" * 64,
        "citizen",
        None,
        "cz_000123",
        ("index", "tax"),
        ("identity", "tax"),
        at="2026-12-04T22:00:00.000001+00:00",
    )
    canonical = rfc8785.dumps(
        {
            "form": 2,
            "seq": 7,
            "at": entry.at,
            "request_id": entry.request_id,
            "actor": entry.actor,
            "role": entry.role,
            "purpose": None,
            "citizen_id": entry.citizen_id,
            "sources": ["index", "tax"],
            "field_groups": ["identity", "tax"],
            "prev_hash": GENESIS,
        }
    )
    assert entry_hash(7, entry, GENESIS) == hashlib.sha256(canonical).hexdigest()
