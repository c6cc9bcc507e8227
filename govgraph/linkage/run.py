"""``link``: read every source, link records into citizens, write the changes to the index."""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from govgraph.departments import Department, all_departments
from govgraph.index import CitizenIndex, CitizenProfile, IndexChanges, Link, Review
from govgraph.linkage.assign import assign
from govgraph.linkage.candidates import Node, build_nodes, unblocked_vectors
from govgraph.linkage.clusters import build_clusters
from govgraph.linkage.compare import one_edit
from govgraph.linkage.engines import Engine, UnknownEngine, check_engine, open_engine
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.report import LinkReport
from govgraph.linkage.sources import Attachment, RecordMapper, mappers
from govgraph.progress import Progress, reporter
from legacy_connectors.base import Record
from legacy_connectors.errors import LegacyError

__all__ = [
    "MODEL_VERSION",
    "LinkInterrupted",
    "ScanFailed",
    "Scannable",
    "UnknownEngine",
    "link",
]

T = TypeVar("T")


class ScanFailed(Exception):
    """Departments whose source could not be read in full; nothing was written to the index."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        """Why, by department."""
        named = "; ".join(f"{dept}: {why}" for dept, why in self.failures.items())
        super().__init__(
            f"could not read department {named}; the citizen index was not changed "
            "(link the others with --allow-missing DEPT)"
        )


class LinkInterrupted(Exception):
    """The run was stopped between or inside its phases; the index holds what ``written`` says."""


class Scannable(Protocol):
    """What linkage needs of a source (a gateway ``Source``): its records, page by page."""

    def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]: ...


MODEL_VERSION = "fs-em-2"
"""Version of the linkage rules and model, recorded on every link it makes."""
MIN_FIT_PAIRS = 2000
"""Below this many compared pairs the model keeps its prior parameters instead of fitting."""
_PROFILE_CHUNK = 5000


@dataclass(slots=True)
class _Scanned:
    identities: list[Identity] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    ok: set[str] = field(default_factory=set)
    kinds: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Per identity-bearing source: its node kind's number and identifier name."""
    trust: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _SourceScan:
    identities: list[Identity] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    records: int = 0
    skipped: int = 0
    error: str | None = None


async def _scan_one(
    mapper: RecordMapper, connector: Scannable, batch_size: int, progress: Progress
) -> _SourceScan:
    out = _SourceScan()
    with progress.phase(f"read {mapper.source}") as phase:
        try:
            await _read(mapper, connector, batch_size, out, phase.advance)
        except NotImplementedError:
            out.error = "the connector cannot scan its source"
        except LegacyError as exc:
            out.error = f"{type(exc).__name__}: {exc.message}"
    return out


async def _read(
    mapper: RecordMapper,
    connector: Scannable,
    batch_size: int,
    out: _SourceScan,
    advance: Callable[[int], None],
) -> None:
    async for batch in connector.scan(batch_size):
        out.records += len(batch)
        advance(len(batch))
        for key, record in batch:
            if mapper.attaches:
                attachment = mapper.attachment(key, record)
                if attachment is None:
                    out.skipped += 1
                else:
                    out.attachments.append(attachment)
                continue
            identity = mapper.identity(key, record)
            if identity is None:
                out.skipped += 1
            else:
                out.identities.append(identity)


def _kinds(declared: tuple[Department, ...]) -> dict[str, tuple[int, str]]:
    """Node kind per identity-bearing source: its key identifier, numbered in declared order."""
    numbers: dict[str, int] = {}
    out: dict[str, tuple[int, str]] = {}
    for d in declared:
        if d.identity is None or d.identity.attach_by is not None:
            continue
        number = numbers.setdefault(d.identity.key, len(numbers))
        out[d.source_name] = (number, d.identity.key)
    return out


async def _scan(
    connectors: Mapping[str, Scannable],
    batch_size: int,
    report: LinkReport,
    declared: tuple[Department, ...],
    progress: Progress,
) -> _Scanned:
    """Scan every declared department's source, one after another (mapping records is CPU
    work in this loop: concurrent scans would only slow each other's pages); a failed source
    contributes nothing and is listed in ``report.errors``. Sources no department declares are
    listed as ignored, departments without an identity mapping as unlinked."""
    by_source = mappers(declared)
    served = {d.source_name for d in declared}
    report.unlinked += [
        d.id for d in declared if d.identity is None and d.source_name in connectors
    ]
    names = [n for n in connectors if n in by_source]
    report.ignored_sources += [n for n in connectors if n not in served]
    out = _Scanned(kinds=_kinds(declared))
    out.trust = {d.source_name: d.identity.trust for d in declared if d.identity is not None}
    for name in names:
        result = await _scan_one(by_source[name], connectors[name], batch_size, progress)
        if result.error is not None:
            report.errors[name] = result.error
            continue
        out.identities += result.identities
        out.attachments += result.attachments
        out.ok.add(name)
        report.sources[name] = {"records": result.records, "skipped": result.skipped}
    return out


def _check_missing(
    report: LinkReport, declared: tuple[Department, ...], allow_missing: Collection[str]
) -> None:
    """Raise :class:`ScanFailed` for failed sources whose departments may not be missing; list
    the allowed ones in ``report.missing``."""
    refused: dict[str, str] = {}
    for source, why in report.errors.items():
        depts = [d.id for d in declared if d.source_name == source] or [source]
        for dept in depts:
            if dept in allow_missing or source in allow_missing:
                report.missing[dept] = why
            else:
                refused[dept] = why
    if refused:
        raise ScanFailed(refused)


def _attach(
    nodes: list[Node], attachments: list[Attachment], report: LinkReport
) -> tuple[dict[int, list[tuple[str, str, str]]], list[tuple[Attachment, int, str]]]:
    """Attached (source, key, identifier) by node; and (attachment, node, reason) for review."""
    holders: dict[tuple[str, str], int] = {}
    for i, node in enumerate(nodes):
        for v in node.variants:
            for held in v.held:
                holders[held] = i
    attached: dict[int, list[tuple[str, str, str]]] = {}
    reviews: list[tuple[Attachment, int, str]] = []
    seen: set[tuple[str, str]] = set()
    for item in attachments:
        if (item.source, item.key) in seen:
            continue
        seen.add((item.source, item.key))
        found = holders.get((item.identifier, item.value))
        if found is None:
            report.unattached[item.source] = report.unattached.get(item.source, 0) + 1
            continue
        i = found
        keeper = Identity(
            item.source, item.key, item.surname, item.forenames, "", None, "", item.postcode, (), ""
        )
        agrees = any(
            (keeper.sn and (keeper.sn == v.sn or one_edit(keeper.sn, v.sn)))
            or (keeper.pc and keeper.pc == v.pc)
            for v in nodes[i].variants
        )
        if agrees or not (keeper.sn or keeper.pc):
            attached.setdefault(i, []).append((item.source, item.key, item.identifier))
            report.attached[item.source] = report.attached.get(item.source, 0) + 1
        else:
            reviews.append((item, i, "surname and postcode differ from the identifier's holder"))
    return attached, reviews


def _plan_without_gc(
    scanned: _Scanned,
    existing: list[Link],
    profiles: Mapping[str, CitizenProfile],
    model_version: str,
    report: LinkReport,
    progress: Progress,
    stop: threading.Event,
    engine: str,
) -> IndexChanges:
    """:func:`_plan` with the cyclic garbage collector paused (it builds millions of small
    objects and no cycles; collection passes would otherwise take a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    computation = open_engine(engine)
    try:
        return _plan(
            scanned, existing, profiles, model_version, report, progress, stop, computation
        )
    finally:
        computation.close()
        if enabled:
            gc.enable()


def _stop_if(stop: threading.Event) -> None:
    if stop.is_set():
        raise LinkInterrupted("stopped between phases")


def _plan(
    scanned: _Scanned,
    existing: list[Link],
    profiles: Mapping[str, CitizenProfile],
    model_version: str,
    report: LinkReport,
    progress: Progress,
    stop: threading.Event,
    engine: Engine,
) -> IndexChanges:
    started = time.perf_counter()
    model = FSModel()
    report.phase = "candidates"
    with progress.phase("candidates", unit="pairs") as phase:
        nodes = build_nodes(scanned.identities, scanned.kinds)
        compared, vectors = engine.candidates(nodes, model)
        phase.advance(compared)
    report.timings["candidates"] = time.perf_counter() - started
    _stop_if(stop)
    report.phase = "scoring"
    with progress.phase("scoring", unit="pairs") as phase:
        if sum(vectors.values()) >= MIN_FIT_PAIRS:
            model.fit(vectors + unblocked_vectors(nodes, model, compared))
        outcome = engine.decide(nodes, model)
        phase.advance(outcome.candidates)
    report.timings["decide"] = time.perf_counter() - started - report.timings["candidates"]
    _stop_if(stop)
    report.phase = "clustering"
    with progress.phase("clustering", total=len(nodes), unit="nodes") as phase:
        attached, attach_reviews = _attach(nodes, scanned.attachments, report)
        clusters = build_clusters(nodes, outcome, attached, scanned.trust)
        assignment = assign(clusters, existing, profiles, scanned.ok, model_version)
        phase.advance(len(nodes))
    report.timings["clustering"] = (
        time.perf_counter() - started - report.timings["candidates"] - report.timings["decide"]
    )
    _stop_if(stop)
    node_citizen: dict[int, str | None] = {}
    for c in clusters:
        keys = [(m.source, m.key) for m in c.members]
        cid = next((assignment.citizen_of[k] for k in keys if k in assignment.citizen_of), None)
        node_citizen.update(dict.fromkeys(c.nodes, cid))
    reviews: list[Review] = []
    for e in outcome.reviews:
        a, b = nodes[e.a], nodes[e.b]
        reviews.append(
            Review(
                a.members[0][0],
                a.members[0][1],
                b.members[0][0],
                b.members[0][1],
                node_citizen.get(e.b),
                round(e.probability, 6),
                e.reason,
                model_version,
            )
        )
    for item, i, reason in attach_reviews:
        node = nodes[i]
        reviews.append(
            Review(
                item.source,
                item.key,
                node.members[0][0],
                node.members[0][1],
                node_citizen.get(i),
                0.0,
                reason,
                model_version,
            )
        )
    assignment.changes.reviews = reviews
    report.nodes = len(nodes)
    report.candidate_pairs = compared
    report.linked_exact = outcome.linked_exact
    report.linked_probabilistic = outcome.linked_probabilistic
    report.rejected = outcome.rejected + compared - outcome.candidates
    report.reviews = len(reviews)
    report.model = model.to_json()
    counts = assignment.counts
    report.citizens = {
        k.removeprefix("citizens_"): v for k, v in counts.items() if k.startswith("citizens_")
    }
    report.links = {
        k.removeprefix("links_"): v for k, v in counts.items() if k.startswith("links_")
    }
    report.timings["plan"] = time.perf_counter() - started
    return assignment.changes


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _in_thread(func: Callable[[], T], stop: threading.Event) -> T:
    """Run ``func`` in a daemon thread; if this task is cancelled, ``stop`` is set and the
    thread is left to notice it (or to die with the process) instead of being waited for."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(outcome)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome = func()
        except BaseException as exc:  # handed to the awaiting task
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, outcome, None)

    threading.Thread(target=work, name="govgraph-link-plan", daemon=True).start()
    try:
        return await done
    except asyncio.CancelledError:
        stop.set()
        raise


async def link(
    connectors: Mapping[str, Scannable],
    index: CitizenIndex,
    *,
    model_version: str = MODEL_VERSION,
    batch_size: int = 1000,
    departments: tuple[Department, ...] | None = None,
    allow_missing: Collection[str] = (),
    progress: Progress | None = None,
    engine: str = "memory",
) -> LinkReport:
    """Link every source's records into citizens and write the changes to ``index``.

    ``connectors`` are open sources by source name; each declared department's identity
    mapping reads its source's records (``departments`` defaults to every declared one).
    Sources no department declares are listed in ``ignored_sources``, departments without an
    identity mapping in ``unlinked``.

    Phases: read each source, load the index's links, candidates, scoring, clustering, write
    the index (one transaction: until it commits, readers see the previous index whole). A
    department whose source cannot be read in full raises :class:`ScanFailed` before anything
    is written, unless it is in ``allow_missing`` (department ids or source names): then its
    existing links are kept as they were and it is listed in ``missing``. ``progress`` shows
    each phase (default: none). The CPU-bound work runs in a worker thread; cancelling the
    run stops it at the next phase and writes nothing.

    ``engine`` is where blocking, comparison, scoring and clustering run (one of
    :data:`~govgraph.linkage.engines.ENGINES`: ``memory`` in this process, ``duckdb``,
    ``spark``); every engine gives the same links. An unknown engine, or one whose library is
    not installed, raises :class:`UnknownEngine` before any source is read.
    """
    check_engine(engine)
    started = time.perf_counter()
    progress = progress if progress is not None else reporter("link", quiet=True)
    report = LinkReport(model_version=model_version, engine=engine)
    declared = all_departments() if departments is None else departments
    report.phase = "read"
    scanned = await _scan(connectors, batch_size, report, declared, progress)
    report.timings["scan"] = time.perf_counter() - started
    _check_missing(report, declared, allow_missing)
    report.phase = "load"
    load_started = time.perf_counter()
    with progress.phase("load the index's links", unit="links") as phase:
        existing = await index.all_links()
        phase.advance(len(existing))
        ids = sorted({x.citizen_id for x in existing})
        profiles: dict[str, CitizenProfile] = {}
        for i in range(0, len(ids), _PROFILE_CHUNK):
            profiles.update(await index.profiles(ids[i : i + _PROFILE_CHUNK]))
    report.timings["load"] = time.perf_counter() - load_started
    report.phase = "plan"
    stop = threading.Event()
    changes = await _in_thread(
        lambda: _plan_without_gc(
            scanned, existing, profiles, model_version, report, progress, stop, engine
        ),
        stop,
    )
    report.phase = "write"
    write_started = time.perf_counter()
    with progress.phase("write the index", unit="changes"):
        await index.apply(changes)
    report.written = True
    report.timings["write"] = time.perf_counter() - write_started
    report.seconds = time.perf_counter() - started
    report.peak_memory_mb = _peak_rss_mb()
    return report
