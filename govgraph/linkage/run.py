"""``link``: read every source, link records into citizens, write the changes to the index."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol, TypeVar

from govgraph.departments import Department, all_departments
from govgraph.index import CitizenIndex, CitizenProfile, IndexChanges, Link
from govgraph.linkage.assign import assign
from govgraph.linkage.attach import attach, review_rows
from govgraph.linkage.candidates import Node, build_nodes, node_keys, unblocked_vectors
from govgraph.linkage.clusters import build_clusters
from govgraph.linkage.decide import Edge
from govgraph.linkage.engines import Engine, UnknownEngine, check_engine, open_engine
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.relink import plan_changes, read_changes
from govgraph.linkage.report import LinkReport
from govgraph.linkage.sources import Attachment, RecordMapper, mappers
from govgraph.linkage.state import (
    LAYOUT,
    LinkState,
    StateUnusable,
    attachment_data,
    dumps,
    fingerprint,
    held_value,
    identity_data,
    model_from_json,
    model_json,
)
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
    cursors: dict[str, str | None] = field(default_factory=dict)
    """Per source read: its change-feed cursor taken before the read (``None`` without a
    feed); only when a link state is kept."""
    names: list[str] = field(default_factory=list)
    """The sources read, in reading order."""


@dataclass(slots=True)
class _Planned:
    """What a full run keeps of its plan to write the link state."""

    nodes: list[Node] = field(default_factory=list)
    scored: list[Edge] = field(default_factory=list)
    model: FSModel = field(default_factory=FSModel)


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


async def _cursor(connector: Scannable) -> str | None:
    """The source's change-feed cursor now, ``None`` when it has no feed."""
    if not getattr(connector, "tracks_changes", False):
        return None
    cursor: str = await connector.change_cursor()  # type: ignore[attr-defined]
    return cursor


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
    cursors: bool = False,
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
    out.names = names
    for name in names:
        if cursors:
            try:
                out.cursors[name] = await _cursor(connectors[name])
            except LegacyError as exc:
                report.errors[name] = f"{type(exc).__name__}: {exc.message}"
                continue
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


def _plan_without_gc(
    scanned: _Scanned,
    existing: list[Link],
    profiles: Mapping[str, CitizenProfile],
    model_version: str,
    report: LinkReport,
    progress: Progress,
    stop: threading.Event,
    engine: str,
    fixed_model: FSModel | None = None,
    keep: _Planned | None = None,
) -> IndexChanges:
    """:func:`_plan` with the cyclic garbage collector paused (it builds millions of small
    objects and no cycles; collection passes would otherwise take a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    computation = open_engine(engine)
    try:
        return _plan(
            scanned,
            existing,
            profiles,
            model_version,
            report,
            progress,
            stop,
            computation,
            fixed_model,
            keep,
        )
    finally:
        computation.close()
        if enabled:
            gc.enable()


def _stop_if(stop: threading.Event) -> None:
    if stop.is_set():
        raise LinkInterrupted("stopped between phases")


def _release_identities(nodes: list[Node]) -> None:
    """Drop the nodes' identities once every cluster has its profile (each cluster keeps the
    one it shows): what is left of the run needs only the nodes' keys, and without a link
    state to write the rest of a population's identities would stay in memory for nothing."""
    for node in nodes:
        node.variants = []


def _plan(
    scanned: _Scanned,
    existing: list[Link],
    profiles: Mapping[str, CitizenProfile],
    model_version: str,
    report: LinkReport,
    progress: Progress,
    stop: threading.Event,
    engine: Engine,
    fixed_model: FSModel | None = None,
    keep: _Planned | None = None,
) -> IndexChanges:
    started = time.perf_counter()
    model = FSModel()
    report.phase = "candidates"
    with progress.phase("candidates", unit="pairs") as phase:
        nodes = build_nodes(scanned.identities, scanned.kinds)
        if keep is None:
            # the nodes hold every distinct identity; the rest are needed only for a link state
            scanned.identities = []
        compared, vectors = engine.candidates(nodes, model)
        report.candidate_parts = engine.parts
        phase.advance(compared)
    report.timings["candidates"] = time.perf_counter() - started
    _stop_if(stop)
    report.phase = "scoring"
    with progress.phase("scoring", unit="pairs") as phase:
        if fixed_model is not None:
            model = fixed_model
        elif sum(vectors.values()) >= MIN_FIT_PAIRS:
            model.fit(vectors + unblocked_vectors(nodes, model, compared))
        outcome = engine.decide(nodes, model, scored=keep is not None)
        engine.close()  # its tables are no longer needed: free them before clustering
        phase.advance(outcome.candidates)
    report.timings["decide"] = time.perf_counter() - started - report.timings["candidates"]
    _stop_if(stop)
    report.phase = "clustering"
    with progress.phase("clustering", total=len(nodes), unit="nodes") as phase:
        attached, attach_reviews = attach(nodes, scanned.attachments, report)
        clusters = build_clusters(nodes, outcome, attached, scanned.trust)
        if keep is None:
            _release_identities(nodes)
        assignment = assign(clusters, existing, profiles, scanned.ok, model_version)
        phase.advance(len(nodes))
    report.timings["clustering"] = (
        time.perf_counter() - started - report.timings["candidates"] - report.timings["decide"]
    )
    _stop_if(stop)
    reviews = review_rows(
        nodes, outcome, attach_reviews, clusters, assignment.citizen_of, model_version
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
    if keep is not None:
        keep.nodes, keep.scored, keep.model = nodes, outcome.scored, model
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


def _layout(
    names: list[str], kinds: Mapping[str, tuple[int, str]], trust: Mapping[str, int]
) -> list[list[Any]]:
    """The sources in reading order with their node kinds and trust: a relink needs the same."""
    return [[n, list(kinds[n]) if n in kinds else None, trust.get(n)] for n in names]


def _state_rows(
    scanned: _Scanned, planned: _Planned, model_version: str
) -> tuple[dict[str, Any], Iterator[Any], Iterator[Any], Iterator[Any], Iterator[Any], Any]:
    """Every row of a full run's link state, streamed (records sorted by source and key)."""
    node_of: dict[tuple[str, str], int] = {}
    for i, node in enumerate(planned.nodes):
        for member in node.members:
            node_of[member] = i
    identities = scanned.identities
    order = sorted(range(len(identities)), key=lambda i: (identities[i].source, identities[i].key))

    def recs() -> Iterator[tuple[str, str, int, int, str]]:
        for (source, key), group in groupby(
            order, key=lambda i: (identities[i].source, identities[i].key)
        ):
            found: dict[str, list[Any]] = {}
            for i in group:
                data = identity_data(identities[i])
                found.setdefault(dumps(data), data)
            text = dumps(list(found.values()))
            yield (source, key, node_of[(source, key)], fingerprint(text), text)

    def atts() -> Iterator[tuple[str, str, str, int, str]]:
        seen: set[tuple[str, str]] = set()
        for item in sorted(scanned.attachments, key=lambda a: (a.source, a.key)):
            if (item.source, item.key) in seen:
                continue
            seen.add((item.source, item.key))
            text = dumps(attachment_data(item))
            hv = held_value(item.identifier, item.value)
            yield (item.source, item.key, hv, fingerprint(text), text)

    def held() -> Iterator[tuple[str, int]]:
        for n, node in enumerate(planned.nodes):
            values = {held_value(i, v) for var in node.variants for i, v in var.held}
            for hv in values:
                yield (hv, n)

    edges = (
        (e.a, e.b, e.weight, e.probability, int(e.method != "probabilistic"))
        for e in planned.scored
    )
    meta = {
        "layout": LAYOUT,
        "model_version": model_version,
        "model": json.loads(model_json(planned.model)),
        "sources": _layout(scanned.names, scanned.kinds, scanned.trust),
        "cursors": scanned.cursors,
        "next_node": len(planned.nodes),
    }
    blocks = ((key, n) for n, key in node_keys(planned.nodes))
    return meta, recs(), atts(), blocks, held(), edges


def _write_state(
    path: Path, scanned: _Scanned, planned: _Planned, model_version: str
) -> tuple[float, float]:
    """Write the full run's state at ``path``; return the seconds it took, and the CPU
    seconds of the thread that wrote it (SQLite's included)."""
    started, cpu = time.perf_counter(), time.thread_time()
    meta, recs, atts, blocks, held, edges = _state_rows(scanned, planned, model_version)
    LinkState.write(path, meta, recs, atts, blocks, held, edges)
    return time.perf_counter() - started, time.thread_time() - cpu


def _remove_state(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


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
    state: str | os.PathLike[str] | None = None,
    full: bool = False,
    fixed_model: FSModel | None = None,
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

    ``state`` is the link state file (:mod:`govgraph.linkage.state`): with one, a run relinks
    incrementally when the state allows (:mod:`govgraph.linkage.relink`: only the changes
    since the last run are read and only what they touch is planned, with the last fitted
    model), else runs in full and writes a new state; ``report.mode`` and
    ``report.mode_reason`` say which ran and why. ``full`` forces a full run. Without
    ``state`` every run is full and none is kept. ``fixed_model`` scores a full run with
    those parameters instead of fitting them (to compare a relink with a full run).
    """
    check_engine(engine)
    started = time.perf_counter()
    progress = progress if progress is not None else reporter("link", quiet=True)
    declared = all_departments() if departments is None else departments
    state_path = Path(state) if state is not None else None
    reason = "no link state kept" if state_path is None else "--full asked for"
    if state_path is not None and not full:
        relinked = await _relink(
            connectors,
            index,
            state_path,
            declared,
            model_version,
            batch_size,
            allow_missing,
            progress,
            engine,
        )
        if isinstance(relinked, LinkReport):
            relinked.seconds = time.perf_counter() - started
            relinked.peak_memory_mb = _peak_rss_mb()
            return relinked
        reason = relinked
        started = time.perf_counter()
    report = LinkReport(model_version=model_version, engine=engine, mode_reason=reason)
    report.phase = "read"
    scanned = await _scan(
        connectors, batch_size, report, declared, progress, cursors=state_path is not None
    )
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
    keep = _Planned() if state_path is not None and not report.missing else None
    changes = await _in_thread(
        lambda: _plan_without_gc(
            scanned,
            existing,
            profiles,
            model_version,
            report,
            progress,
            stop,
            engine,
            fixed_model,
            keep,
        ),
        stop,
    )
    report.phase = "write"
    write_started = time.perf_counter()
    with progress.phase("write the index", unit="changes"):
        if state_path is not None:
            _remove_state(state_path)
        if keep is None or state_path is None:
            await index.apply(changes)
        else:
            seconds, cpu = await _apply_with_state(
                index, changes, state_path, scanned, keep, model_version
            )
            report.timings["write_state"] = seconds
            report.timings["write_state_cpu"] = cpu
    report.written = True
    report.timings["write"] = time.perf_counter() - write_started
    report.seconds = time.perf_counter() - started
    report.peak_memory_mb = _peak_rss_mb()
    return report


async def _apply_with_state(
    index: CitizenIndex,
    changes: IndexChanges,
    path: Path,
    scanned: _Scanned,
    planned: _Planned,
    model_version: str,
) -> tuple[float, float]:
    """Write the index and, meanwhile in a thread, the new link state beside it; the state
    takes its place only once the index has committed. Returns the state's seconds and CPU
    seconds."""
    tmp = Path(f"{path}.new")
    _remove_state(tmp)
    job = asyncio.ensure_future(
        asyncio.to_thread(_write_state, tmp, scanned, planned, model_version)
    )
    try:
        await index.apply(changes)
    except BaseException:
        job.add_done_callback(lambda _job: _remove_state(tmp))
        raise
    timed = await job
    os.replace(tmp, path)
    return timed


async def _relink(
    connectors: Mapping[str, Scannable],
    index: CitizenIndex,
    path: Path,
    declared: tuple[Department, ...],
    model_version: str,
    batch_size: int,
    allow_missing: Collection[str],
    progress: Progress,
    engine: str,
) -> LinkReport | str:
    """An incremental relink, or why there can be none (a full run follows)."""
    started = time.perf_counter()
    by_source = mappers(declared)
    names = [n for n in connectors if n in by_source]
    kinds = _kinds(declared)
    trust = {d.source_name: d.identity.trust for d in declared if d.identity is not None}
    try:
        state = LinkState.open(path)
    except StateUnusable as exc:
        return str(exc)
    try:
        meta = state.meta
        if meta["model_version"] != model_version:
            return (
                f"the linkage rules changed since the last run "
                f"({meta['model_version']} -> {model_version})"
            )
        if meta["sources"] != json.loads(dumps(_layout(names, kinds, trust))):
            return "the sources or departments differ from the last run's"
        report = LinkReport(model_version=model_version, engine=engine, mode="incremental")
        served = {d.source_name for d in declared}
        report.unlinked += [
            d.id for d in declared if d.identity is None and d.source_name in connectors
        ]
        report.ignored_sources += [n for n in connectors if n not in served]
        report.phase = "read"

        def phase(title: str) -> Any:
            return progress.phase(title)

        delta, errors, expired = await read_changes(
            names, by_source, connectors, state, batch_size, phase
        )
        if expired:
            return f"the change feed of {', '.join(expired)} no longer reaches the stored cursor"
        report.errors.update(errors)
        _check_missing(report, declared, allow_missing)
        if report.missing:
            return "a source could not be read: " + "; ".join(report.missing)
        for name in names:
            report.sources[name] = {"records": delta.read.get(name, 0), "skipped": 0}
        report.mode_reason = "changes read from " + ", ".join(
            f"{name} ({delta.ways[name]})" for name in names
        )
        report.timings["scan"] = time.perf_counter() - started
        report.phase = "plan"
        plan_started = time.perf_counter()
        model = model_from_json(dumps(meta["model"]))
        report.model = model.to_json()
        with progress.phase("plan the changes", unit="records"):
            changes, rows = await plan_changes(
                delta, state, index, names, kinds, trust, model, model_version, report
            )
        report.timings["plan"] = time.perf_counter() - plan_started
        report.phase = "write"
        write_started = time.perf_counter()
        with progress.phase("write the index", unit="changes"):
            state.set_pending()
            await index.apply(changes)
            cursors = dict(meta["cursors"])
            cursors.update(delta.cursors)
            state.update(
                {"cursors": cursors, "next_node": rows.next_node},
                rows.rec_removed,
                rows.recs,
                rows.att_removed,
                rows.atts,
                rows.block_removed,
                rows.blocks,
                rows.held_removed,
                rows.held,
                rows.edge_nodes,
                rows.edges,
            )
        report.written = True
        report.timings["write"] = time.perf_counter() - write_started
        return report
    finally:
        state.close()
