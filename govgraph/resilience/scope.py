"""What one request's upstream calls share, passed to each call (never held at module level)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RequestScope"]


@dataclass(eq=False, slots=True)
class RequestScope:
    """One request as its upstream calls see it: built with the request's context and handed
    to every :class:`~govgraph.sources.Source` call made for it."""

    request_id: str | None = None
    """The request's id, passed on to legacy systems (a SOAP header, a SQL comment)."""
    deadline: float | None = None
    """Monotonic time by which the request must finish (``None``: only each call's timeout)."""
    stale: dict[str, float] = field(default_factory=dict)
    """Each source that answered with last-known data, and the age of the oldest answer (s)."""

    def note_stale(self, service: str, age_s: float) -> None:
        """Record that ``service`` answered this request with data ``age_s`` old."""
        self.stale[service] = max(age_s, self.stale.get(service, 0.0))
