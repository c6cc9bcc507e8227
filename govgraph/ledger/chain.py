"""Ledger entries and their hash chain.

Each entry's hash covers its sequence number, its contents and the previous entry's hash, so
changing, deleting, inserting or reordering any entry breaks the chain from that entry on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

__all__ = ["GENESIS", "AccessEntry", "LedgerRecord", "entry_hash"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One read of one citizen's data, before it is chained."""

    request_id: str
    actor: str
    """Pseudonymous reference to who read (a hash of the token's subject, never the token)."""
    role: str
    purpose: str | None
    citizen_id: str
    sources: tuple[str, ...]
    """Sources read, sorted (``index`` is the gateway's own citizen index)."""
    field_groups: tuple[str, ...]
    """Field groups read, sorted (see :data:`resolvers.authz.GROUPS`)."""
    at: str = ""
    """UTC time, ISO 8601 with microseconds (set when appended if empty)."""

    def stamped(self) -> AccessEntry:
        if self.at:
            return self
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        return replace(self, at=now)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """An entry as stored: with its place in the chain."""

    seq: int
    entry: AccessEntry
    prev_hash: str
    hash: str


def entry_hash(seq: int, entry: AccessEntry, prev_hash: str) -> str:
    """The chain hash of ``entry`` stored at ``seq`` after ``prev_hash``."""
    canonical = json.dumps(
        [
            seq,
            entry.at,
            entry.request_id,
            entry.actor,
            entry.role,
            entry.purpose,
            entry.citizen_id,
            list(entry.sources),
            list(entry.field_groups),
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
