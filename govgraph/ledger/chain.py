"""Ledger entries and their hash chain.

Each entry's hash covers its sequence number, its contents and the previous entry's hash, so
changing, deleting, inserting or reordering any entry breaks the chain from that entry on.

Entries are hashed over a canonical form: form 2 (every entry written now) is the RFC 8785
(JSON Canonicalization Scheme) serialisation of the entry as a JSON object, and its list
columns are stored as the RFC 8785 text of the list, so the stored text must equal the
canonical form of what it says. Form 1 (entries written before form 2 existed) is kept
verifiable as it was hashed: a compact JSON array, lists stored comma-joined.

For text that is all ASCII (every entry the gateway writes: ids, hashes, role and group
names, ISO times), RFC 8785 and the standard library's compact, key-sorted JSON without ASCII
escaping are the same bytes (the same escapes for quote, backslash and control characters;
integers below 2**53 written alike), so those entries are serialised by ``json`` in C; any
other text goes through the ``rfc8785`` package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import rfc8785

__all__ = [
    "CURRENT_FORM",
    "GENESIS",
    "AccessEntry",
    "LedgerRecord",
    "canonical_list",
    "entry_hash",
    "stored_list",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""
CURRENT_FORM = 2
"""The canonical form new entries are stored and hashed in (RFC 8785)."""


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
    form: int = CURRENT_FORM
    """The canonical form it was stored and hashed in (1: before RFC 8785; 2: RFC 8785)."""


_SAFE_INT = 2**53
"""RFC 8785 writes numbers as ECMAScript does: integers below this are plain digits."""


def _ascii(values: Sequence[str | None]) -> bool:
    return all(v is None or (type(v) is str and v.isascii()) for v in values)


def _canonical(value: Any, ascii_only: bool) -> bytes:
    """The RFC 8785 bytes of ``value``; ``ascii_only``: the caller checked that every text in
    it is ASCII and every number an integer below 2**53, so ``json`` gives the same bytes."""
    if ascii_only:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return rfc8785.dumps(value)


def canonical_list(values: Sequence[str], form: int = CURRENT_FORM) -> str:
    """How a list column is stored in ``form``: the RFC 8785 text of the list (form 2), or the
    items joined by commas (form 1)."""
    if form == 1:
        return ",".join(values)
    return str(_canonical(list(values), _ascii(values)), "utf-8")


def stored_list(text: str, form: int = CURRENT_FORM) -> tuple[str, ...] | None:
    """The list a stored column holds, or ``None`` if the text is not in its canonical form
    (any other spelling of the same list, such as added spaces or a trailing comma)."""
    if form == 1:
        values = tuple(text.split(",")) if text else ()
    else:
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            return None
        values = tuple(parsed)
    if any(not v for v in values) or canonical_list(values, form) != text:
        return None
    return values


def entry_hash(seq: int, entry: AccessEntry, prev_hash: str, form: int = CURRENT_FORM) -> str:
    """The chain hash of ``entry`` stored at ``seq`` after ``prev_hash``, in ``form``."""
    if form == 1:
        return _form1_hash(seq, entry, prev_hash)
    texts = (
        entry.at,
        entry.request_id,
        entry.actor,
        entry.role,
        entry.purpose,
        entry.citizen_id,
        prev_hash,
        *entry.sources,
        *entry.field_groups,
    )
    plain = type(seq) is int and 0 <= seq < _SAFE_INT and _ascii(texts)
    canonical = _canonical(
        {
            "form": form,
            "seq": seq,
            "at": entry.at,
            "request_id": entry.request_id,
            "actor": entry.actor,
            "role": entry.role,
            "purpose": entry.purpose,
            "citizen_id": entry.citizen_id,
            "sources": list(entry.sources),
            "field_groups": list(entry.field_groups),
            "prev_hash": prev_hash,
        },
        plain,
    )
    return hashlib.sha256(canonical).hexdigest()


def _form1_hash(seq: int, entry: AccessEntry, prev_hash: str) -> str:
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
