"""The statistics engine: named tables and table requests computed where the data lives.

``StatisticsService`` is long-lived (one per gateway). Every table comes from the department
declarations: a named table (a department's saved table request, :mod:`.saved`) or a table
request (:mod:`.builder`) is computed from exact tallies by the source that holds the data (SQL
``GROUP BY``; one pass over a batch file per generation; one pass over a paged service per
``tax_ttl_s``), across departments by mapping department keys to citizens through the citizen
index. Only published values leave it: named tables through
:func:`~govgraph.statistics.disclosure.protect`, table requests under differential privacy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from govgraph.departments import Department, all_departments
from govgraph.sources import Source
from govgraph.statistics.budget import BudgetStore
from govgraph.statistics.builder import TableBuilder
from govgraph.statistics.disclosure import Protection, PublishedTable, protect
from govgraph.statistics.filters import StatisticsFilter
from govgraph.statistics.requests import Catalogue, TableRequest
from govgraph.statistics.saved import saved_table
from govgraph.statistics.settings import StatisticsSettings
from govgraph.statistics.tables import Table

if TYPE_CHECKING:
    from govgraph.progress import Progress

__all__ = ["StatisticsService", "UnknownTable", "WarmUp"]

MAX_CACHED = 512
"""Most (table, filter) results kept at once."""


log = logging.getLogger("govgraph.statistics")


class UnknownTable(LookupError):
    """No table has this name."""


@dataclass(frozen=True, slots=True)
class WarmUp:
    """What warming up one department's statistics pass did."""

    department: str
    records: int
    """Records its pass holds."""
    pages: int
    """Pages (upstream calls) read for it now (0: a pass was already kept)."""
    seconds: float
    error: str | None = None
    """Why it could not be read (its typed error), if it could not."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "records": self.records,
            "pages": self.pages,
            "seconds": round(self.seconds, 2),
        }
        if self.error is not None:
            out["error"] = self.error
        return out


class StatisticsService:
    """Computes, caches and protects the published tables."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        index: Any,
        settings: StatisticsSettings | None = None,
        *,
        metrics: Any = None,
        today: Callable[[], date] = date.today,
        store_url: str | None = None,
        departments: list[Department] | None = None,
    ) -> None:
        self.settings = settings or StatisticsSettings()
        self.sources = sources
        self.index = index
        self.metrics = metrics
        self.today = today
        secret = self.settings.secret.encode() if self.settings.secret else os.urandom(32)
        self.protection = Protection(
            threshold=self.settings.threshold,
            noise=self.settings.noise,
            amount_noise=self.settings.amount_noise,
            secret=secret,
        )
        self.catalogue = Catalogue(
            departments if departments is not None else all_departments(),
            {a: (v.council, v.region) for a, v in self.settings.areas.items()},
        )
        """Every dimension, condition, measure and named table, from the declarations."""
        url = self.settings.store_url or store_url or "sqlite+aiosqlite:///:memory:"
        self.budgets = BudgetStore(url)
        """Analysts' privacy budgets and the answers published today."""
        self.builder = TableBuilder(self)
        self.upstream_calls: dict[str, int] = {}
        """Calls made to each source by the engine (statements, pages, index reads)."""
        self._exact: dict[tuple[str, Any], tuple[float, Table]] = {}
        self._locks: dict[tuple[str, Any], asyncio.Lock] = {}
        self._published: dict[tuple[str, Any], tuple[Table, Table | None, PublishedTable]] = {}
        self._warming: asyncio.Task[None] | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """The names of every named table, in order."""
        return tuple(sorted(self.catalogue.saved))

    async def aclose(self) -> None:
        """Stop the warm-up and background passes (call when the gateway shuts down)."""
        warming, self._warming = self._warming, None
        if warming is not None and not warming.done():
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming
        await self.builder.aclose()
        await self.budgets.aclose()

    def passed(self, department: str) -> None:
        """Record a completed full pass over ``department``'s source."""
        if self.metrics is not None:
            self.metrics.statistics_passes.labels(department=department).inc()

    async def warm(self, progress: Progress | None = None) -> dict[str, WarmUp]:
        """Run every department's statistics pass now, all at once, so that no analyst's first
        table waits for one: each department read in full passes (a batch file, a paged
        service) is read through and kept as a table's pass would be (until a new file
        generation, or ``tax_ttl_s``); a department whose source aggregates itself has no pass
        (each table is one ``GROUP BY`` there). A department that cannot be read is reported
        with its error; the others are warmed all the same. ``progress`` shows one phase per
        department, counting records."""
        from govgraph.progress import reporter

        shown = progress if progress is not None else reporter("statistics warm-up", quiet=True)
        read = [d for d in self.catalogue.departments.values() if d.statistics.read is not None]

        async def one(d: Department) -> WarmUp:
            pages = self.passes(d.id)[1]
            started = time.monotonic()
            try:
                with shown.phase(f"{d.id} pass") as phase:
                    rows = await self.builder._rows(d, phase.advance)
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
                return WarmUp(d.id, 0, 0, time.monotonic() - started, why)
            taken = time.monotonic() - started
            return WarmUp(d.id, len(rows), self.passes(d.id)[1] - pages, taken)

        done = await asyncio.gather(*(one(d) for d in read))
        return {w.department: w for w in done}

    def start_warming(self) -> None:
        """Warm up (:meth:`warm`) in the background: requests are served meanwhile (a table
        that needs a pass still running waits for that pass, never starts a second one), and
        each department's outcome is logged. Stopped by :meth:`aclose`."""
        if self._warming is None or self._warming.done():
            self._warming = asyncio.create_task(self._warm_and_log())

    async def _warm_and_log(self) -> None:
        log.info("statistics warm-up: started")
        started = time.monotonic()
        for w in (await self.warm()).values():
            if w.error is None:
                log.info(
                    "statistics warm-up: %s pass done: %d records, %d pages in %.1f s",
                    w.department,
                    w.records,
                    w.pages,
                    w.seconds,
                )
            else:
                log.warning("statistics warm-up: %s could not be read: %s", w.department, w.error)
        log.info("statistics warm-up: done in %.1f s", time.monotonic() - started)

    def count(self, source: str, calls: int = 1) -> None:
        """Record ``calls`` upstream calls made to ``source`` (a source's own calls are also
        counted in the gateway's metrics by the source itself; the index's only here)."""
        self.upstream_calls[source] = self.upstream_calls.get(source, 0) + calls
        if self.metrics is not None and source not in self.sources:
            self.metrics.upstream_calls.labels(source=source).inc(calls)

    async def build(self, request: TableRequest, analyst: str) -> dict[str, Any]:
        """The published answer to a table-builder ``request`` (checked first: a
        :class:`~govgraph.statistics.requests.TableRequestError` says what to change), charged
        to ``analyst``'s privacy budget unless already published today."""
        plan = self.catalogue.check(request, self.settings.max_cells)
        return await self.builder.answer(plan, analyst)

    async def table(self, name: str, flt: StatisticsFilter) -> PublishedTable:
        """Named table ``name`` under ``flt``, after disclosure control."""
        if name not in self.catalogue.saved:
            raise UnknownTable(f"table: expected one of {', '.join(self.tables)}, got {name!r}")
        exact = await self.exact(name, flt)
        unfiltered = None if flt.empty else await self.exact(name, StatisticsFilter())
        key = (name, flt.key())
        found = self._published.get(key)
        if found is not None and found[0] is exact and found[1] is unfiltered:
            return found[2]
        published = protect(exact, self.protection, unfiltered)
        self._published[key] = (exact, unfiltered, published)
        return published

    async def exact(self, name: str, flt: StatisticsFilter) -> Table:
        """The exact tallies of named table ``name`` (cached for ``cache_ttl_s``); never
        publish these."""
        key = (name, flt.key())
        found = self._exact.get(key)
        ttl = self.settings.cache_ttl_s
        if found is not None and time.monotonic() - found[0] < ttl:
            return found[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._exact.get(key)
            if found is not None and time.monotonic() - found[0] < ttl:
                return found[1]
            table = await saved_table(self.builder, self.catalogue.saved[name], flt)
            self._exact[key] = (time.monotonic(), table)
            self._evict()
            return table

    def _evict(self) -> None:
        """Keep at most ``MAX_CACHED`` tables: the oldest go first."""
        if len(self._exact) <= MAX_CACHED:
            return
        oldest = sorted(self._exact, key=lambda k: self._exact[k][0])
        for key in oldest[: len(self._exact) - MAX_CACHED]:
            del self._exact[key]
            self._published.pop(key, None)
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]

    def source(self, name: str) -> Source:
        """The configured source ``name`` (its capabilities carry the gateway's policy)."""
        return self.sources[name]

    async def rows(self, department: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Every record of a department read in full passes, as (key, readable fields), from
        the cached pass (a new one per file generation or ``tax_ttl_s``)."""
        return await self.builder._rows(self.catalogue.departments[department])

    def passes(self, department: str) -> tuple[int, int]:
        """(full passes, pages read) of a department read in full passes, so far."""
        scan = self.builder._scans.get(department)
        return (0, 0) if scan is None else (scan.passes, scan.pages)
