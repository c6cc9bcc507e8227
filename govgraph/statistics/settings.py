"""Settings of the statistics engine: disclosure threshold, perturbation, privacy, caching."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AreaSettings", "StatisticsSettings"]


class AreaSettings(BaseModel):
    """Where one postcode area lies: its local authority and its region (public geography)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    council: str
    """The local authority (council) the area belongs to."""
    region: str
    """The region the area belongs to."""


class StatisticsSettings(BaseModel):
    """How statistics are computed and protected (see ``docs/analysts.md``)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    threshold: int = Field(default=10, ge=2)
    """Cells describing fewer people than this (but more than none) are suppressed."""
    noise: int = Field(default=2, ge=0, le=10)
    """Largest perturbation added to a published count (0 disables perturbation)."""
    amount_noise: float = Field(default=0.02, ge=0, le=0.2)
    """Largest relative perturbation of a published sum of money (0.02 is two per cent)."""
    secret: str | None = None
    """Key of the deterministic perturbation; unset draws a fresh key per process (set it so
    that answers stay the same across restarts and cannot be averaged)."""
    cache_ttl_s: float = Field(default=300.0, ge=0)
    """How long a computed table (and a SQL aggregate) is reused before it is computed again."""
    tax_ttl_s: float = Field(default=3600.0, ge=0)
    """How long a full pass over a paged service (one that cannot aggregate, such as a SOAP
    service) is reused."""
    tax_refresh_ahead: bool = True
    """Once ``tax_ttl_s`` has passed, keep serving the previous scan while a new one runs in
    the background (only the very first scan is waited for)."""
    warm_at_start: bool = False
    """Run every department's statistics pass in the background as soon as the gateway has
    started (it serves requests meanwhile), so that the first analyst's table does not wait
    for one; ``govgraph statistics warm`` runs the same passes from the command line."""
    scan_batch: int = Field(default=2000, ge=1, le=10000)
    """Records asked for per batch when a batch file is read through."""
    tax_page_size: int = Field(default=1000, ge=1, le=10000)
    """Records asked for per page when a SOAP service is read through (the simulated tax
    service's limit is 1000)."""
    epsilon: float = Field(default=0.25, gt=0, le=5)
    """Privacy loss (differential privacy's epsilon) one table of the table builder spends."""
    budget: float = Field(default=10.0, gt=0)
    """Privacy loss each analyst may spend in all (at ``epsilon`` a table, ``budget / epsilon``
    tables); a spent budget is refused with ``BUDGET_SPENT``."""
    max_cells: int = Field(default=5000, ge=1)
    """Most cells one table-builder table may have (the product of its dimensions' sizes)."""
    areas: dict[str, AreaSettings] = Field(default_factory=dict)
    """Postcode areas (the leading letters, e.g. ``SW``) with their council and region: the
    public categories of the ``postcode_area``, ``council`` and ``region`` dimensions (other
    areas count as ``OTHER``)."""
    store_url: str | None = None
    """SQLAlchemy async URL of the privacy budgets and published answers; unset means the
    access ledger's store."""
