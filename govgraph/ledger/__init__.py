"""The access ledger: who read which citizen's data, when and why, in a hash chain."""

from __future__ import annotations

from govgraph.ledger.chain import GENESIS, AccessEntry, LedgerRecord, entry_hash
from govgraph.ledger.record import entries_for_request, groups_for_sources
from govgraph.ledger.store import AccessLedger, LedgerError, VerifyReport

__all__ = [
    "GENESIS",
    "AccessEntry",
    "AccessLedger",
    "LedgerError",
    "LedgerRecord",
    "VerifyReport",
    "entries_for_request",
    "entry_hash",
    "groups_for_sources",
]
