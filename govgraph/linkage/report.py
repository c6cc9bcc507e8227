"""What one linkage run did: ``LinkReport`` (``to_json`` for tools, ``summary`` for people)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LinkReport"]


@dataclass(slots=True)
class LinkReport:
    """Counts and timings of one run of :func:`govgraph.linkage.link`."""

    model_version: str
    seconds: float = 0.0
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per source: ``records`` scanned, ``skipped`` (unusable for linkage)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Sources that could not be read (their existing links were left as they were)."""
    ignored_sources: list[str] = field(default_factory=list)
    """Configured sources that no declared department is served by."""
    unlinked: list[str] = field(default_factory=list)
    """Declared departments (with a configured source) that declare no identity mapping, so
    their records are linked by caseworkers only."""
    nodes: int = 0
    candidate_pairs: int = 0
    linked_exact: int = 0
    linked_probabilistic: int = 0
    rejected: int = 0
    reviews: int = 0
    attached: dict[str, int] = field(default_factory=dict)
    """Per source linking by another's identifier (``attach_by``): records attached."""
    unattached: dict[str, int] = field(default_factory=dict)
    """Per such source: records whose identifier no citizen holds."""
    citizens: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Every figure as a JSON-ready mapping."""
        return {
            "model_version": self.model_version,
            "seconds": round(self.seconds, 3),
            "sources": self.sources,
            "errors": self.errors,
            "ignored_sources": self.ignored_sources,
            "nodes": self.nodes,
            "candidate_pairs": self.candidate_pairs,
            "linked_exact": self.linked_exact,
            "linked_probabilistic": self.linked_probabilistic,
            "rejected": self.rejected,
            "reviews": self.reviews,
            "attached": self.attached,
            "unattached": self.unattached,
            "unlinked": self.unlinked,
            "citizens": self.citizens,
            "links": self.links,
            "model": self.model,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def summary(self) -> str:
        """A few readable lines."""
        records = ", ".join(f"{k} {v['records']}" for k, v in self.sources.items())
        lines = [
            f"linked in {self.seconds:.1f} s (model {self.model_version}); records: {records}",
            f"pairs compared {self.candidate_pairs}: linked {self.linked_exact} exact, "
            f"{self.linked_probabilistic} probabilistic; {self.reviews} for review; "
            f"{self.rejected} rejected",
            "citizens: " + ", ".join(f"{k} {v}" for k, v in sorted(self.citizens.items())),
            "links: " + ", ".join(f"{k} {v}" for k, v in sorted(self.links.items())),
        ]
        for source in sorted(set(self.attached) | set(self.unattached)):
            lines.append(
                f"{source}: {self.attached.get(source, 0)} attached by identifier, "
                f"{self.unattached.get(source, 0)} unmatched"
            )
        if self.unlinked:
            lines.append("not linked (no identity mapping declared): " + ", ".join(self.unlinked))
        lines += [f"error: {name}: {message}" for name, message in self.errors.items()]
        return "\n".join(lines)
