"""The linkage computation on a generated data folder, every source read from its files.

Run: python bench/link_files.py --data DIR [--engine duckdb] [--index PATH] [--evaluate]
     python bench/link_files.py --smoke   (300 people in a temporary folder)

``govgraph link --data DIR`` reads the tax department through its simulated SOAP service,
which holds every taxpayer in memory (4.1 GB at 900,000 taxpayers): a population of several
million cannot be read that way on one machine. Here the benefits file and the SQL databases
are read through their real connector kinds, as ``link`` reads them, and the tax store is read
straight from ``tax/taxpayers.json``, taxpayer by taxpayer (a streaming JSON decoder; the
records are the service's, field for field, and keyed by NINO as its scan keys them). The
links go to a fresh SQLite citizen index (``--index``, default ``index-files.sqlite`` in the
folder, replaced). Prints one JSON line: each phase's seconds, records per source, nodes, pairs
compared, links and reviews, CPU seconds, the linker's peak memory (total and per million
records), the engine folder's peak on disk (its database and spill) and, with ``--evaluate``,
precision and recall against the generator's truth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

from govgraph import demo
from govgraph.index import CitizenIndex
from govgraph.linkage import evaluate, link
from govgraph.progress import reporter
from govgraph.settings import load_settings
from govgraph.sources import build_sources
from govgraph.telemetry import Metrics

GENERATE = (sys.executable, "-m", "govgraph.cli", "fixtures", "generate")
_CHUNK = 1 << 22
_SLOW_SOURCE = {
    "connect_timeout_s": 600.0,
    "scan_page_timeout_s": 600.0,
}
"""Per-source settings for a large folder on a loaded machine (a page of a large SQLite table
or the benefits file's index may take longer than the default minute)."""


def taxpayers(path: Path) -> Iterator[dict[str, Any]]:
    """Each taxpayer of the tax store ``{"as_of": ..., "taxpayers": [{...}, ...]}``, decoded one
    at a time from a window of the file (memory: the window and one taxpayer)."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as fh:
        buf = fh.read(_CHUNK)
        start = buf.find('"taxpayers"')
        while start < 0 or buf.find("[", start) < 0:
            more = fh.read(_CHUNK)
            if not more:
                raise ValueError(f"{path}: no taxpayers list")
            buf += more
            start = buf.find('"taxpayers"')
        pos = buf.index("[", start) + 1
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(buf) or buf[pos] == "{":
                try:
                    if pos >= len(buf):
                        raise json.JSONDecodeError("window ends", buf, pos)
                    item, pos = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError:
                    more = fh.read(_CHUNK)
                    if not more:
                        raise ValueError(f"{path}: the taxpayers list is cut short") from None
                    buf, pos = buf[pos:] + more, 0
                    continue
                yield item
                continue
            if buf[pos] == "]":
                return
            raise ValueError(f"{path}: unexpected {buf[pos]!r} in the taxpayers list")


class TaxFile:
    """The tax source read from its store file: what ``link`` needs of a source (``scan``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Any]]]:
        batch: list[tuple[str, Any]] = []
        for taxpayer in taxpayers(self.path):
            batch.append((taxpayer["Nino"], taxpayer))
            if len(batch) >= batch_size:
                yield batch
                batch = []
                await asyncio.sleep(0)
        if batch:
            yield batch


def _settings(data: Path, tmp: Path) -> Any:
    mapping = demo.config_mapping(data, "http://127.0.0.1:9")
    for block in mapping["sources"].values():
        block.update(_SLOW_SOURCE)
        if block["kind"] == "sql":
            block["options"]["scan_statement_timeout_ms"] = 590_000
    config = tmp / "govgraph.toml"
    demo.write_config(config, mapping)
    return load_settings(config)


class RssByPhase:
    """Resident memory sampled every ``every`` seconds in a thread, the highest per phase of
    ``progress`` (``after X`` between phases); with ``folder``, also the largest size on disk
    of what is under it (sampled every 25th time: the engine's database and its spill)."""

    def __init__(self, progress: Any, every: float = 0.2, folder: Path | None = None) -> None:
        self.progress = progress
        self.every = every
        self.folder = folder
        self.peaks: dict[str, float] = {}
        self.folder_peak_mb = 0.0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss_mb(self) -> float:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * self._page / 1e6

    def _folder_mb(self) -> float:
        assert self.folder is not None
        size = 0
        for root, _dirs, files in os.walk(self.folder):
            for name in files:
                with suppress(FileNotFoundError):
                    size += os.stat(os.path.join(root, name)).st_blocks * 512
        return size / 1e6

    def _run(self) -> None:
        ticks = 0
        while not self._stop.wait(self.every):
            ticks += 1
            if self.folder is not None and ticks % 25 == 0:
                self.folder_peak_mb = max(self.folder_peak_mb, self._folder_mb())
            p = self.progress
            name = p.current or (f"after {p.finished[-1]}" if p.finished else "start")
            rss = self._rss_mb()
            if rss > self.peaks.get(name, 0.0):
                self.peaks[name] = rss

    def __enter__(self) -> RssByPhase:
        if os.path.exists("/proc/self/statm"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data: Path = args.data
    index_path = args.index or data / "index-files.sqlite"
    out: dict[str, Any] = {"bench": "link_files", "engine": args.engine, "load_before": _load()}
    with tempfile.TemporaryDirectory(prefix="gg-link-files-") as tmp:
        settings = _settings(data, Path(tmp))
        blocks = {k: v for k, v in settings.sources.items() if k != "tax"}
        sources: dict[str, Any] = {"tax": TaxFile(data / "tax" / "taxpayers.json")}
        sources.update(build_sources(blocks, Metrics()))
        index = CitizenIndex(f"sqlite+aiosqlite:///{index_path}")
        async with AsyncExitStack() as stack:
            await index.open()
            stack.push_async_callback(index.aclose)
            for name, source in sources.items():
                if name != "tax":
                    await source.open(source.policy.scan_page_timeout_s)
                    stack.push_async_callback(source.aclose)
            engine_tmp = Path(tmp) / "engine"
            engine_tmp.mkdir()
            tempfile.tempdir = str(engine_tmp)  # the engine's database and spill go here
            cpu, started = _cpu(), time.perf_counter()
            try:
                with (
                    reporter("link", quiet=args.quiet) as progress,
                    RssByPhase(progress, folder=engine_tmp) as rss,
                ):
                    report = await link(sources, index, engine=args.engine, progress=progress)
            finally:
                tempfile.tempdir = None
            out["link_s"] = round(time.perf_counter() - started, 2)
            out["link_cpu_s"] = round(_cpu() - cpu, 2)
            figures = report.to_json()
            records = sum(s["records"] for s in report.sources.values())
            out["records"] = {k: v["records"] for k, v in report.sources.items()}
            out["timings_s"] = {k: round(v, 2) for k, v in report.timings.items()}
            out["nodes"] = report.nodes
            out["pairs_compared"] = report.candidate_pairs
            out["candidate_parts"] = report.candidate_parts
            out["linked_exact"] = report.linked_exact
            out["linked_probabilistic"] = report.linked_probabilistic
            out["reviews"] = report.reviews
            out["citizens"] = figures.get("citizens")
            out["peak_memory_mb"] = round(report.peak_memory_mb, 1)
            out["peak_mb_per_million_records"] = round(report.peak_memory_mb / records * 1e6, 1)
            out["rss_by_phase_mb"] = {k: round(v, 1) for k, v in rss.peaks.items()}
            out["engine_disk_peak_mb"] = round(rss.folder_peak_mb, 1)
            out["records_per_cpu_s"] = round(records / max(out["link_cpu_s"], 1e-9), 1)
            out["load_after_link"] = _load()
            if args.evaluate:
                started = time.perf_counter()
                evaluation = await evaluate(index, data / "truth.jsonl")
                quality = evaluation.to_json()
                out["evaluate_s"] = round(time.perf_counter() - started, 2)
                out["precision"] = quality.get("precision")
                out["recall"] = quality.get("recall")
                out["evaluation"] = quality
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a folder written by govgraph fixtures generate")
    parser.add_argument("--engine", default="duckdb", choices=("memory", "duckdb", "spark"))
    parser.add_argument("--index", type=Path, help="the citizen index to write (replaced)")
    parser.add_argument("--evaluate", action="store_true", help="precision and recall")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.add_argument("--smoke", action="store_true", help="300 people, temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gg-link-files-data-") as tmp:
        if args.smoke:
            args.data, args.evaluate, args.quiet = Path(tmp) / "data", True, True
            subprocess.run(
                [*GENERATE, "--people", "300", "--seed", "3", "--out", str(args.data), "--quiet"],
                check=True,
                capture_output=True,
            )
        elif args.data is None:
            parser.error("--data DIR (or --smoke) is required")
        args.index = args.index or args.data / "index-files.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.index}{suffix}").unlink(missing_ok=True)
        print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
