"""A long job's progress on stderr: a live display on a terminal, log lines otherwise.

A job (``govgraph link``, ``fixtures generate``, ``ledger verify``, …) runs in named phases; a
phase may know its total and advances by counts. :func:`reporter` picks the display once per
command:

* ``terminal`` (stderr is a terminal): a rich progress display with each phase's count, rate
  and time left; finished phases stay on the screen with their count and duration;
* ``plain`` (stderr is a file or a pipe): one line when a phase starts, one when it ends, and
  one every ``GOVGRAPH_PROGRESS_INTERVAL_S`` seconds (default 10) while it runs;
* ``quiet``: nothing.

Stdout is never written here, so a command's final JSON line stays the last line of stdout.
Phases may be advanced from worker threads.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

__all__ = ["Mode", "Phase", "Progress", "reporter"]

Mode = Literal["terminal", "plain", "quiet"]
INTERVAL_ENV = "GOVGRAPH_PROGRESS_INTERVAL_S"


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get(INTERVAL_ENV, "10")))
    except ValueError:
        return 10.0


def _count(n: float) -> str:
    return f"{int(n):,}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s"


class Phase:
    """One phase of a job: advance it by counts; the display follows."""

    def __init__(self, progress: Progress, name: str, total: int | None, unit: str) -> None:
        self.name = name
        self.total = total
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self._progress = progress
        self._task: Any = None
        self._last_line = self.started
        self._lines = 0

    def advance(self, n: int = 1) -> None:
        """``n`` more items done."""
        self.done += n
        self._progress._advanced(self, n)

    def set_total(self, total: int) -> None:
        """The phase's total, once it is known."""
        self.total = total
        self._progress._retotalled(self)

    def line(self) -> str:
        """Where the phase is, as one readable line."""
        elapsed = time.monotonic() - self.started
        text = f"{self.name}: {_count(self.done)}"
        if self.total:
            text += f" of {_count(self.total)} {self.unit} ({100 * self.done / self.total:.0f} %)"
        else:
            text += f" {self.unit}"
        if elapsed > 0 and self.done:
            rate = self.done / elapsed
            text += f", {_count(rate)}/s"
            if self.total and rate > 0:
                text += f", about {_duration(max(0.0, (self.total - self.done) / rate))} left"
        return text


class Progress:
    """The progress display of one command (see the module's docstring for the modes)."""

    def __init__(
        self, job: str, mode: Mode, stream: TextIO | None = None, periodic_only: bool = False
    ) -> None:
        self.job = job
        self.mode = mode
        self.periodic_only = periodic_only
        """Plain mode: no line when a phase starts; its end only after a periodic line, and not
        when an exception ended it (for pipeline tools whose short runs stay silent)."""
        self.stream = stream if stream is not None else sys.stderr
        self.interval = _interval()
        self._lock = threading.Lock()
        self._live: Any = None
        self.current = ""
        """The phase running now (``""`` between phases)."""
        self.finished: list[str] = []
        """The phases that have ended, in order."""
        self.stopped = ""
        """The phase an exception (an interrupt, a failure) ended, if one did."""
        if mode == "terminal":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            console = Console(file=self.stream, stderr=self.stream is sys.stderr)
            self._live = RichProgress(
                SpinnerColumn(finished_text="[green]done"),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    @contextmanager
    def phase(self, name: str, total: int | None = None, unit: str = "records") -> Iterator[Phase]:
        """A phase of the job; it ends (and says so) when the block ends."""
        p = Phase(self, name, total, unit)
        self._started(p)
        try:
            yield p
        except BaseException:
            self.stopped = p.name
            self._ended(p, failed=True)
            raise
        self._ended(p)

    def note(self, message: str) -> None:
        """A line about the job (not in quiet mode)."""
        if self.mode == "quiet":
            return
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)
        else:
            self._write(f"{self.job}: {message}")

    def close(self) -> None:
        """Stop the display (finished phases stay on the screen)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the display ---------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _started(self, p: Phase) -> None:
        self.current = p.name
        if self._live is not None:
            p._task = self._live.add_task(p.name, total=p.total, rate="")
        elif self.mode == "plain" and not self.periodic_only:
            total = f" ({_count(p.total)} {p.unit})" if p.total else ""
            self._write(f"{self.job}: {p.name} started{total}")

    def _advanced(self, p: Phase, n: int) -> None:
        if self._live is not None:
            elapsed = time.monotonic() - p.started
            rate = f"{_count(p.done / elapsed)} {p.unit}/s" if elapsed > 0 else ""
            self._live.update(p._task, advance=n, rate=rate)
        elif self.mode == "plain":
            now = time.monotonic()
            if now - p._last_line >= self.interval:
                p._last_line = now
                p._lines += 1
                self._write(f"{self.job}: {p.line()}")

    def _retotalled(self, p: Phase) -> None:
        if self._live is not None:
            self._live.update(p._task, total=p.total)

    def _ended(self, p: Phase, failed: bool = False) -> None:
        seconds = time.monotonic() - p.started
        self.current = ""
        self.finished.append(p.name)
        if self._live is not None:
            total = p.total if p.total else max(p.done, 1)
            self._live.update(p._task, total=total, completed=total if not p.total else p.done)
            self._live.stop_task(p._task)
        elif self.mode == "plain" and not (self.periodic_only and (failed or not p._lines)):
            count = f" {_count(p.done)} {p.unit}" if p.done else ""
            self._write(f"{self.job}: {p.name} done:{count} in {_duration(seconds)}")


def reporter(
    job: str, *, quiet: bool = False, stream: TextIO | None = None, periodic_only: bool = False
) -> Progress:
    """The display for ``job``: nothing when ``quiet``, live on a terminal, lines otherwise
    (only the periodic ones with ``periodic_only``: see :class:`Progress`)."""
    out = stream if stream is not None else sys.stderr
    if quiet:
        return Progress(job, "quiet", out)
    isatty = getattr(out, "isatty", None)
    mode: Mode = "terminal" if isatty is not None and isatty() else "plain"
    return Progress(job, mode, out, periodic_only=periodic_only)
