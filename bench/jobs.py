"""Long jobs benchmark: ``fixtures generate`` and ``link`` at volume, as an operator runs them.

Run: python bench/jobs.py [--people N] [--seed S] [--noise LEVEL] [--data DIR] [--no-link]
                          [--smoke]

Runs the real commands as subprocesses (``govgraph fixtures generate --quiet``, then
``govgraph link --data DIR --quiet``) and prints one JSON line: generation seconds and peak
memory, link seconds, each link phase's seconds, records read per source, and link's peak
memory (total and per million records). ``--data DIR`` links an already generated folder
instead of generating one; ``--no-link`` only generates. ``--smoke``: 300 people in a temporary
folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

GOVGRAPH = (sys.executable, "-m", "govgraph.cli")


def _json_line(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"{' '.join(argv[2:5])} exited {done.returncode}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--noise", default="realistic")
    parser.add_argument("--data", type=Path, help="link this generated folder (no generation)")
    parser.add_argument("--no-link", action="store_true", help="generate only (not with --data)")
    parser.add_argument("--smoke", action="store_true", help="300 people, temporary folder")
    args = parser.parse_args()
    if args.smoke:
        args.people = 300
    if args.no_link and args.data is not None:
        parser.error("--no-link generates only; it cannot be used with --data")
    out: dict[str, Any] = {"bench": "jobs", "load_before": _load()}
    with tempfile.TemporaryDirectory(prefix="gg-jobs-") as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "data"
            generated = _json_line(
                [
                    *GOVGRAPH,
                    *("fixtures", "generate", "--people", str(args.people)),
                    *("--seed", str(args.seed), "--noise", args.noise, "--out", str(data), "-q"),
                ]
            )
            out.update(
                people=generated["people"],
                generate_s=generated["seconds"],
                generate_peak_mb=generated["peak_memory_mb"],
            )
        if args.no_link:
            out["load_after"] = _load()
            print(json.dumps(out))
            return
        linked = _json_line([*GOVGRAPH, "link", "--data", str(data), "-q"])
    out.update(
        link_s=linked["seconds"],
        link_phases_s=linked["timings"],
        records=linked["records"],
        sources=linked["sources"],
        missing=linked["missing"],
        link_peak_mb=linked["peak_memory_mb"],
        link_mb_per_million_records=linked["memory_mb_per_million_records"],
        load_after=_load(),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
