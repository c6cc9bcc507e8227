"""Linkage benchmark: population generation, linking every source, quality against the truth.

Run: python bench/linkage.py [--people N] [--noise realistic|hard] [--seed S]
     [--index-url URL] [--engine memory|duckdb|spark] [--smoke]
Generates a population (timed; 10,000 people are also timed on their own), serves every
source's records from memory in the connectors' record shapes (the in-memory connector kind,
with its change feed on: so the figures are linkage's own, without any legacy system's
latency), links them into a fresh SQLite citizen index (or ``--index-url``) keeping the link
state beside it, evaluates precision and recall per source pair against the generator's truth,
relinks on the unchanged sources, then after 1% of each source's records changed through the
change feed (every hundredth record by position moves: it takes the postcode and first address
line of the next such record of its source; the relink reads only the feed and re-plans only
what the moved records touch, with the last fitted model), evaluates again, runs a full relink
(``full=True``, model refitted) on the same changed sources and evaluates that, times the
index's batched reads for 100 random citizens (what each gateway request does), and reports
peak memory (max RSS). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from fixtures.generate import generate, truth_rows
from fixtures.population.records import source_records
from govgraph.departments import all_departments
from govgraph.index import CitizenIndex
from govgraph.linkage import evaluate, link
from legacy_connectors.base import Record
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

AS_OF = date(2026, 11, 27)


async def read_latency(index: CitizenIndex, rounds: int = 200) -> dict[str, tuple[float, float]]:
    """p50 and p99 milliseconds of the gateway's batched reads for 100 random citizens."""
    ids: list[str] = []
    after: str | None = None
    while True:
        page, more = await index.page(5000, after)
        ids += page
        if not more:
            break
        after = page[-1]
    rng = random.Random(1)
    calls = {
        "links_for": lambda batch: index.links_for(batch),
        "profiles": lambda batch: index.profiles(batch),
        "keys_for": lambda batch: index.keys_for(batch, "parking"),
    }
    result: dict[str, tuple[float, float]] = {}
    for name, call in calls.items():
        times = []
        for _ in range(rounds):
            batch = rng.sample(ids, 100)
            started = time.perf_counter()
            await call(batch)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        result[name] = (times[len(times) // 2], times[int(len(times) * 0.99) - 1])
    return result


def _set(record: Record, path: str, value: Any) -> bool:
    *head, last = path.split(".")
    node: Any = record
    for part in head:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        return False
    node[last] = value
    return True


def _get(record: Record, path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def feed_connectors(population: Any) -> dict[str, MemoryConnector]:
    """One in-memory connector with a change feed per source of ``population`` (a key held by
    several records keeps them as a list, scanned in order)."""
    out: dict[str, MemoryConnector] = {}
    for name, rows in source_records(population).items():
        by_key: dict[str, list[Record]] = {}
        for key, record in rows:
            by_key.setdefault(key, []).append(record)
        settings = MemorySettings(change_feed=True)
        settings.records.update({k: v[0] if len(v) == 1 else v for k, v in by_key.items()})
        out[name] = MemoryConnector(name, settings)
    return out


def move_records(connectors: dict[str, MemoryConnector], every: int = 100) -> int:
    """Every ``every``-th record (in scan order) of each source that declares a postcode moves
    (postcode and address lines of the next moved record of its source), through the source's
    change log; returns how many records changed."""
    paths = {
        d.source_name: d.identity
        for d in all_departments()
        if d.identity is not None and d.identity.postcode and "[]" not in d.identity.postcode
    }
    changed = 0
    for name, connector in connectors.items():
        identity = paths.get(name)
        if identity is None or identity.postcode is None:
            continue
        held = connector.settings.records
        rows = [
            (key, record)
            for key in sorted(held)
            for record in (held[key] if isinstance(held[key], list) else [held[key]])
        ]
        movers = rows[::every]
        homes = [
            (_get(r, identity.postcode), _get(r, identity.address_lines or "")) for _, r in movers
        ]
        touched: set[str] = set()
        for (key, record), (postcode, lines) in zip(movers, homes[1:] + homes[:1], strict=True):
            moved = _set(record, identity.postcode, postcode)
            if identity.address_lines and lines is not None:
                _set(record, identity.address_lines, lines)
            changed += moved
            touched.add(key)
        for key in sorted(touched):
            connector.put(key, held[key])
    return changed


def _size_mb(folder: Path, prefix: str) -> float:
    """Megabytes of the files in ``folder`` whose name starts with ``prefix``."""
    return sum(f.stat().st_size for f in folder.iterdir() if f.name.startswith(prefix)) / 1e6


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread (DuckDB's too): on a shared machine
    the fair measure of a run's cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    generate(min(10_000, args.people), args.seed, args.noise, AS_OF)
    gen_10k = time.perf_counter() - started
    print(f"generate {min(10_000, args.people):,} people: {gen_10k:.2f} s")

    started = time.perf_counter()
    population = generate(args.people, args.seed, args.noise, AS_OF)
    gen_seconds = time.perf_counter() - started
    print(f"generate {args.people:,} people ({args.noise}): {gen_seconds:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        truth = Path(tmp) / "truth.jsonl"
        truth.write_text("".join(json.dumps(r) + "\n" for r in truth_rows(population)))
        index = CitizenIndex(args.index_url or f"sqlite+aiosqlite:///{Path(tmp) / 'index.db'}")
        state = Path(tmp) / "index.linkstate"
        await index.open()
        try:
            sources = feed_connectors(population)
            cpu = _cpu_s()
            report = await link(sources, index, engine=args.engine, state=state)
            link_cpu = _cpu_s() - cpu
            print(report.summary())
            print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()))
            state_mb = state.stat().st_size / 1e6
            index_mb = _size_mb(Path(tmp), "index.db")
            print(
                f"link state: {state_mb:.1f} MB (the index {index_mb:.1f} MB), written in "
                f"{report.timings.get('write_state', 0.0):.1f} s beside the index's write, "
                f"{report.timings.get('write_state_cpu', 0.0):.1f} s of CPU"
            )
            evaluation = await evaluate(index, truth)
            print(evaluation.summary())
            cpu = _cpu_s()
            rerun = await link(sources, index, engine=args.engine, state=state)
            rerun_cpu = _cpu_s() - cpu
            print(
                f"re-run on unchanged sources ({rerun.mode}): {rerun.seconds:.2f} s, "
                f"links {rerun.links}"
            )
            moved = move_records(sources)
            cpu = _cpu_s()
            relink = await link(sources, index, engine=args.engine, state=state)
            relink_cpu = _cpu_s() - cpu
            print(
                f"relink after {moved} of {report.records} records moved ({relink.mode}: "
                f"{relink.mode_reason}): {relink.seconds:.2f} s "
                f"({relink.seconds / report.seconds:.1%} of the first run; CPU {relink_cpu:.2f} s, "
                f"{relink_cpu / link_cpu:.1%} of the first run's {link_cpu:.1f} s), "
                f"nodes planned {relink.nodes}, pairs compared {relink.candidate_pairs}, "
                f"links {relink.links}; phases "
                + ", ".join(f"{k} {v:.2f} s" for k, v in relink.timings.items())
            )
            after_change = await evaluate(index, truth)
            print("after the relink: " + after_change.summary())
            cpu = _cpu_s()
            full = await link(sources, index, engine=args.engine, state=state, full=True)
            full_cpu = _cpu_s() - cpu
            print(
                f"full relink after the change: {full.seconds:.1f} s (CPU {full_cpu:.1f} s), "
                f"links {full.links}"
            )
            after_full = await evaluate(index, truth)
            print("after the full relink: " + after_full.summary())
            reads = await read_latency(index)
            print(
                "index reads of 100 citizens (p50/p99 ms): "
                + ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in reads.items())
            )
        finally:
            await index.aclose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {rss_mb:.0f} MB")
    quality = evaluation.to_json()
    return {
        "bench": "linkage",
        "people": args.people,
        "noise": args.noise,
        "generate_10k_s": round(gen_10k, 2),
        "generate_s": round(gen_seconds, 2),
        "link_s": round(report.seconds, 2),
        "engine": args.engine,
        "link_phases_s": {k: round(v, 2) for k, v in report.timings.items()},
        "link_cpu_s": round(link_cpu, 2),
        "link_state_mb": round(state_mb, 1),
        "index_mb": round(index_mb, 1),
        "relink_s": round(rerun.seconds, 2),
        "relink_mode": rerun.mode,
        "relink_cpu_s": round(rerun_cpu, 2),
        "changed_records": moved,
        "relink_changed_mode": relink.mode,
        "relink_changed_reason": relink.mode_reason,
        "relink_changed_s": round(relink.seconds, 2),
        "relink_changed_ratio": round(relink.seconds / report.seconds, 4),
        "relink_changed_cpu_s": round(relink_cpu, 2),
        "relink_changed_cpu_ratio": round(relink_cpu / link_cpu, 4),
        "relink_changed_phases_s": {k: round(v, 3) for k, v in relink.timings.items()},
        "relink_changed_nodes": relink.nodes,
        "relink_changed_links": relink.links,
        "precision_after_change": after_change.to_json()["precision"],
        "recall_after_change": after_change.to_json()["recall"],
        "full_relink_changed_s": round(full.seconds, 2),
        "full_relink_changed_cpu_s": round(full_cpu, 2),
        "full_relink_changed_links": full.links,
        "precision_after_full_relink": after_full.to_json()["precision"],
        "recall_after_full_relink": after_full.to_json()["recall"],
        "precision": quality["precision"],
        "recall": quality["recall"],
        "min_pair_precision": min(q["precision"] for q in quality["pairs"].values()),
        "min_pair_recall": min(q["recall"] for q in quality["pairs"].values()),
        "reviews": report.reviews,
        "citizens": quality["citizens"],
        "merged": quality["merged"],
        "split": quality["split"],
        "max_rss_mb": round(rss_mb),
        **{f"{k}_100_p50_ms": round(v[0], 2) for k, v in reads.items()},
        **{f"{k}_100_p99_ms": round(v[1], 2) for k, v in reads.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--noise", choices=("clean", "realistic", "hard"), default="realistic")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index-url", default=None)
    parser.add_argument("--engine", choices=("memory", "duckdb", "spark"), default="memory")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        args.people = 300
    figures = asyncio.run(run(args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
