"""What one linkage run did: ``LinkReport`` (``to_json`` for tools, ``summary`` for people)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgraph.linkage.words import count

__all__ = ["LinkReport"]


@dataclass(slots=True)
class LinkReport:
    """Counts and timings of one run of :func:`govgraph.linkage.link`."""

    model_version: str
    engine: str = "memory"
    """Where blocking, comparison, scoring and clustering ran (``--engine``)."""
    mode: str = "full"
    """``full`` (every source read and every citizen planned) or ``incremental`` (only the
    changes since the last run read, only what they touch planned)."""
    mode_reason: str = ""
    """Why this mode ran (e.g. why a relink could not be incremental)."""
    changed_records: int | None = None
    """Incremental: record keys whose mapped identity changed, appeared or went."""
    seconds: float = 0.0
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per source: ``records`` scanned, ``skipped`` (unusable for linkage)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Sources that could not be read (their existing links were left as they were)."""
    missing: dict[str, str] = field(default_factory=dict)
    """Departments that could not be read and were allowed to be missing (``--allow-missing``),
    with why; their existing links were kept."""
    ignored_sources: list[str] = field(default_factory=list)
    """Configured sources that no declared department is served by."""
    unlinked: list[str] = field(default_factory=list)
    """Declared departments (with a configured source) that declare no identity mapping, so
    their records are linked by caseworkers only."""
    nodes: int = 0
    candidate_pairs: int = 0
    candidate_parts: int = 1
    """How many parts the engine's candidate step ran in
    (:attr:`~govgraph.linkage.engines.Engine.parts`)."""
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
    peak_memory_mb: float = 0.0
    """Peak resident memory of the process by the end of the run."""
    phase: str = ""
    """The phase running (or the last one run)."""
    written: bool = False
    """Whether the run's changes were committed to the index."""

    @property
    def records(self) -> int:
        """Records read from every source."""
        return sum(v["records"] for v in self.sources.values())

    @property
    def memory_mb_per_million(self) -> float | None:
        """Peak memory per million records read (``None`` below 100,000 records, where the
        process's fixed size would dominate)."""
        if self.records < 100_000:
            return None
        return self.peak_memory_mb * 1_000_000 / self.records

    def to_json(self) -> dict[str, Any]:
        """Every figure as a JSON-ready mapping."""
        return {
            "model_version": self.model_version,
            "engine": self.engine,
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "changed_records": self.changed_records,
            "seconds": round(self.seconds, 3),
            "sources": self.sources,
            "errors": self.errors,
            "missing": self.missing,
            "ignored_sources": self.ignored_sources,
            "nodes": self.nodes,
            "candidate_pairs": self.candidate_pairs,
            "candidate_parts": self.candidate_parts,
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
            "records": self.records,
            "peak_memory_mb": round(self.peak_memory_mb, 1),
            "memory_mb_per_million_records": (
                None if self.memory_mb_per_million is None else round(self.memory_mb_per_million)
            ),
        }

    def summary(self) -> str:
        """A few readable lines."""
        records = ", ".join(f"{k} {v['records']}" for k, v in self.sources.items())
        lines = [
            f"linked in {self.seconds:.1f} s (model {self.model_version}, engine {self.engine}); "
            f"records: {records}",
            f"mode: {self.mode}"
            + (f" ({self.mode_reason})" if self.mode_reason else "")
            + ("" if self.changed_records is None else f"; {self.changed_records} records changed"),
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
        if self.missing:
            lines.append(
                "MISSING (allowed, existing links kept): "
                + "; ".join(f"{dept}: {why}" for dept, why in self.missing.items())
            )
        if self.timings:
            lines.append("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        if self.peak_memory_mb:
            per_million = self.memory_mb_per_million
            lines.append(
                f"peak memory {self.peak_memory_mb:.0f} MB for {count(self.records, 'record')}"
                + ("" if per_million is None else f" ({per_million:.0f} MB per million)")
            )
        return "\n".join(lines)
