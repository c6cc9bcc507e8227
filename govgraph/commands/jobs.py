"""Long commands under Ctrl+C and SIGTERM: the job's task is cancelled, never killed mid-write.

:func:`run_job` runs a coroutine as the command's one task. SIGINT or SIGTERM cancels it, so
its ``finally`` blocks run (transactions roll back, sources and simulated services close); the
command then says in one line what was kept and exits ``128 + signal`` (130, 143).

What the jobs that read whole departments (``link``, ``statistics warm``) share: their
settings from ``--data`` or ``--config`` (:func:`job_settings`), and their sources and citizen
index opened for scans (:func:`opened_for_scans`).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from govgraph.index import CitizenIndex
    from govgraph.settings import Settings
    from govgraph.sources import Source

__all__ = [
    "Interrupted",
    "NoSettings",
    "exit_code",
    "job_settings",
    "opened_for_scans",
    "run_job",
]

T = TypeVar("T")


class Interrupted(Exception):
    """The job was stopped by a signal before it finished."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``SIGINT``."""
        return signal.Signals(self.signum).name


def exit_code(signum: int) -> int:
    """The shell's exit status for a job stopped by ``signum`` (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


async def _guarded(job: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(job)
    caught: list[int] = []

    def stop(signum: int) -> None:
        if not caught:
            caught.append(signum)
            task.cancel()

    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop, signum)
    try:
        return await task
    except asyncio.CancelledError:
        if caught:
            raise Interrupted(caught[0]) from None
        raise
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def run_job(job: Coroutine[Any, Any, T]) -> T:
    """Run ``job`` to its end; raise :class:`Interrupted` if a signal stopped it first."""
    return asyncio.run(_guarded(job))


class NoSettings(Exception):
    """A job's settings could not be had; the message says why (the command exits 2)."""


def job_settings(
    stack: ExitStack, data: str | None, config: str | None, includes: Sequence[Path] = ()
) -> Settings:
    """The settings of a job given ``--data`` (a generated data folder: its simulated tax
    service is started on ``stack`` and its configuration, with ``includes`` merged in, written
    beside it) or else ``--config`` (default ``govgraph.toml``)."""
    from govgraph import demo
    from govgraph.settings import ConfigError, load_settings

    if data:
        data_dir = Path(data)
        if not (data_dir / "manifest.json").exists():
            raise NoSettings(f"no generated data in {data_dir}")
        tax_url = stack.enter_context(demo.tax_service(data_dir))
        config_path = data_dir / "govgraph.toml"
    else:
        config_path = Path(config or "govgraph.toml")
    try:
        if data:
            mapping = demo.config_mapping(data_dir, tax_url)
            demo.write_config(config_path, demo.with_includes(mapping, list(includes)))
        return load_settings(config_path)
    except ConfigError as exc:
        raise NoSettings(exc.message) from exc


@asynccontextmanager
async def opened_for_scans(
    settings: Settings,
) -> AsyncIterator[tuple[dict[str, Source], CitizenIndex]]:
    """Every configured source and the citizen index, open; all closed on the way out.

    Each source may take its ``scan_page_timeout_s`` to open (a large file is indexed as it
    opens). One that does not open is still handed over, so that reading it fails as a
    department that cannot be read instead of its being left out silently."""
    from govgraph.index import CitizenIndex
    from govgraph.sources import build_sources
    from govgraph.telemetry import Metrics

    sources = build_sources(settings.sources, Metrics())
    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    try:
        await asyncio.gather(*(s.open(s.policy.scan_page_timeout_s) for s in sources.values()))
        yield dict(sources), index
    finally:
        await asyncio.gather(*(s.aclose() for s in sources.values()))
        await index.aclose()
