"""Relink after a share of records change, on a generated data folder read through the real kinds.

``govgraph link --data DIR --full`` links the folder whole (and keeps its link state); then the
departments change ``--changed`` of their records through their own systems: the passport
office deletes half of its share and corrects the town of the other half (plain SQL, so the
database's triggers version the rows), the licensing agency corrects licence holders' towns,
and the tax service moves its share of taxpayers to another taxpayer's address (its admin
route, so its change log records them). The benefits files and the councils stay as they were
(their next extract would be a new generation: see ``bench/changes.py``). Then ``govgraph link
--data DIR`` runs again: incremental, through every source's change feed. Both runs are
separate processes; CPU is theirs and their children's (the simulated tax service).
``full_s``/``relink_s`` are whole commands (start-up, the tax service's start included);
``full_link_s``/``relink_link_s`` the link itself as each command reports it.

Run: ``python bench/relink_data.py --data DIR [--changed 0.01] [--engine duckdb] [--with
TOML]`` (the folder is changed in place: use a copy) or ``python bench/relink_data.py
--smoke`` (300 people in a temporary folder). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fixtures.sqldb.edits import delete_rows, edit_rows
from fixtures.sqldb.sources import source_options
from govgraph import demo


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _link(data: Path, extra: list[str]) -> tuple[dict[str, Any], float, float]:
    cpu = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "govgraph.cli", "link", "--data", str(data), "-q", *extra],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.perf_counter() - started
    return json.loads(out.strip().splitlines()[-1]), seconds, _children_cpu() - cpu


def _keys(data: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"tax": [], "passports": [], "vehicles": []}
    with (data / "truth.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for source, held in keys.items():
                if source in row:
                    held.append(row[source])
    return keys


def _addresses(data: Path, ninos: list[str]) -> dict[str, dict[str, Any]]:
    wanted = set(ninos)
    doc = json.loads((data / "tax" / "taxpayers.json").read_text(encoding="utf-8"))
    found = {t["Nino"]: t["Address"] for t in doc["taxpayers"] if t["Nino"] in wanted}
    # each moves to the next one's address
    order = [n for n in ninos if n in found]
    return {n: found[order[(i + 1) % len(order)]] for i, n in enumerate(order)}


def change(data: Path, share: float, seed: int) -> dict[str, int]:
    """Make the departments' changes; how many records each changed."""
    rng = random.Random(seed)
    keys = _keys(data)
    picked = {s: rng.sample(k, max(1, round(len(k) * share))) for s, k in keys.items()}
    half = len(picked["passports"]) // 2
    passports_url = source_options("passports", data)["url"]
    vehicles_url = source_options("vehicles", data)["url"]
    counts = {
        "passports_deleted": asyncio.run(
            delete_rows(passports_url, "PSPT_MSTR", picked["passports"][:half])
        ),
        "passports_edited": asyncio.run(
            edit_rows(passports_url, "PSPT_MSTR", picked["passports"][half:], "KENDAL")
        ),
        "vehicles_edited": asyncio.run(
            edit_rows(vehicles_url, "DRV_LIC", picked["vehicles"], "KENDAL")
        ),
    }
    moves = _addresses(data, picked["tax"])
    with demo.tax_service(data) as url:
        body = {"change_address": moves, "remove": []}
        httpx.post(f"{url}/admin/records", json=body, timeout=600).raise_for_status()
    counts["taxpayers_moved"] = len(moves)
    return counts


def run(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    extra = ["--engine", args.engine] + [x for path in args.includes for x in ("--with", path)]
    full, full_s, full_cpu = _link(data, [*extra, "--full"])
    changed = change(data, args.changed, args.seed)
    relink, relink_s, relink_cpu = _link(data, extra)
    return {
        "bench": "relink_data",
        "engine": args.engine,
        "changed_share": args.changed,
        "changed": changed,
        "full_mode": full.get("mode"),
        "full_s": round(full_s, 2),
        "full_cpu_s": round(full_cpu, 2),
        "full_peak_memory_mb": full.get("peak_memory_mb"),
        "relink_mode": relink.get("mode"),
        "relink_reason": relink.get("mode_reason"),
        "relink_changed_records": relink.get("changed_records"),
        "relink_s": round(relink_s, 2),
        "relink_cpu_s": round(relink_cpu, 2),
        "relink_ratio": round(relink_s / full_s, 4),
        "full_link_s": full.get("seconds"),
        "relink_link_s": relink.get("seconds"),
        "relink_link_ratio": round(relink["seconds"] / full["seconds"], 4),
        "relink_cpu_ratio": round(relink_cpu / full_cpu, 4),
        "full_timings_s": full.get("timings"),
        "relink_timings_s": relink.get("timings"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a generated data folder (changed in place)")
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--engine", default="memory")
    parser.add_argument("--with", dest="includes", action="append", default=[])
    parser.add_argument("--smoke", action="store_true", help="300 people in a temporary folder")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "govgraph.cli",
                    "fixtures",
                    "generate",
                    "--people",
                    "300",
                    "--seed",
                    "4",
                    "--out",
                    str(data),
                ],
                check=True,
                capture_output=True,
            )
            figures = run(args, data)
    elif args.data:
        figures = run(args, Path(args.data))
    else:
        parser.error("give --data DIR (a copy of a generated folder) or --smoke")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
