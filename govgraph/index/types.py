"""The citizen index's vocabulary: profiles, links, reviews and a batch of changes."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

__all__ = [
    "ACTIVE",
    "WITHDRAWN",
    "CitizenProfile",
    "IndexChanges",
    "Link",
    "LinkKey",
    "Review",
    "new_citizen_id",
]

ACTIVE = "active"
WITHDRAWN = "withdrawn"

LinkKey = tuple[str, str, str]
"""(citizen_id, source, key): what identifies one link."""


def new_citizen_id() -> str:
    """A fresh opaque citizen id: ``cz_`` and 20 lower-case base32 characters (100 random bits)."""
    return "cz_" + base64.b32encode(secrets.token_bytes(15)).decode("ascii")[:20].lower()


@dataclass(frozen=True, slots=True)
class CitizenProfile:
    """The identity the gateway shows for a citizen, taken from their most trusted source."""

    citizen_id: str
    given_name: str
    middle_names: str
    surname: str
    date_of_birth: date | None
    address_lines: tuple[str, ...]
    town: str
    postcode: str
    source: str
    """The source the identity was taken from (``passports`` > ``tax`` > ``vehicles`` >
    ``benefits``)."""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """One department key linked to one citizen."""

    citizen_id: str
    source: str
    key: str
    method: str
    """How the link was made: ``exact:nino``, ``exact:licence``, ``exact:surname_dob_postcode``,
    ``exact:vrm``, ``probabilistic`` or ``caseworker``."""
    score: float
    """Confidence, 0..1 (1 for exact rules and caseworkers)."""
    linked_at: datetime
    model_version: str
    status: Literal["active", "withdrawn"] = "active"

    @property
    def link_key(self) -> LinkKey:
        return (self.citizen_id, self.source, self.key)


@dataclass(frozen=True, slots=True)
class Review:
    """A candidate link the linker would not decide, for a caseworker."""

    source: str
    key: str
    candidate_source: str
    candidate_key: str
    candidate_citizen_id: str | None
    score: float
    reason: str
    model_version: str
    created_at: datetime | None = None
    status: str = "open"
    id: int | None = None


@dataclass(slots=True)
class IndexChanges:
    """Everything one linkage run changes, applied by the index in one transaction."""

    new_citizens: list[CitizenProfile] = field(default_factory=list)
    profile_updates: list[CitizenProfile] = field(default_factory=list)
    dormant_citizens: list[str] = field(default_factory=list)
    """Citizens left without an active link."""
    new_links: list[Link] = field(default_factory=list)
    link_updates: list[Link] = field(default_factory=list)
    """Existing (citizen, source, key) rows to overwrite (method, score, version, status)."""
    withdrawals: list[LinkKey] = field(default_factory=list)
    reviews: list[Review] | None = None
    """When not ``None``, replaces every open review (a pair of records a caseworker already
    confirmed or rejected is not raised again); only those of ``reviews_for`` if given."""
    reviews_for: list[tuple[str, str]] | None = None
    """When not ``None`` (a relink), ``reviews`` replace only the open reviews naming one of
    these (source, key) as record or candidate; the others stay."""
