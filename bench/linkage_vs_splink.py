"""govgraph's linkage against Splink on the same generated population, scored the same way.

    python bench/linkage_vs_splink.py [--people 100000] [--seed 7] [--noise realistic,hard]
    python bench/linkage_vs_splink.py --smoke

For each noise level both linkers run in their own child process (so each peak memory is its
own) on the same population (``fixtures.generate``, as every other bench uses) and the same
records: every department's records mapped by its declared identity mapping, the records of
departments that attach by an identifier (the penalty notices, by VRM) with their keeper's
surname, forenames and postcode. Both results are scored by
:func:`govgraph.linkage.evaluate_groups`: pairs of keys of two departments held by one citizen,
against the generator's truth.

- govgraph: :func:`govgraph.linkage.link` into a fresh SQLite citizen index.
- Splink (``pip install -e '.[bench]'``), configured as a competent user would: ``link_only``
  over the departments; Jaro-Winkler name comparisons (``NameComparison``) with term
  frequencies for given name and surname, ``DateOfBirthComparison``, ``PostcodeComparison``,
  exact NINO and VRM-array intersections; blocking on date of birth, surname + postcode, given
  name + postcode, names + birth year, NINO and VRM; u by random sampling, m by EM (blocked on
  date of birth, then on surname + postcode); single-best-link clustering at p >= 0.95 with every
  department but the notices duplicate-free.

``seconds`` is each linker's own work (govgraph: ``link`` end to end from its in-memory sources;
Splink: loading the tables, training, predicting, clustering), ``peak_rss_mib`` the child
process's maximum resident set (both include the generated population, built the same way).
One JSON line; ``--smoke`` runs 300 people at both levels. Without Splink installed the
Splink side reports ``{"skipped": "splink is not installed"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 11, 27)
THRESHOLD = 0.95


def _population(people: int, seed: int, noise: str, out: Path) -> Any:
    from fixtures.generate import generate, truth_rows

    population = generate(people, seed, noise, AS_OF)
    (out / "truth.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in truth_rows(population)), encoding="utf-8"
    )
    return population


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _govgraph(population: Any, out: Path) -> dict[str, Any]:
    from fixtures.population.records import memory_connectors
    from govgraph.index import CitizenIndex
    from govgraph.linkage import evaluate, link

    index = CitizenIndex(f"sqlite+aiosqlite:///{out / 'index.db'}")
    await index.open()
    try:
        started = time.perf_counter()
        report = await link(memory_connectors(population), index)
        seconds = time.perf_counter() - started
        result = await evaluate(index, out / "truth.jsonl")
    finally:
        await index.aclose()
    return {
        **_figures(result),
        "reviews": result.ambiguous,
        "seconds": round(seconds, 2),
        "linking_seconds": round(report.timings.get("plan", 0.0), 2),
    }


def _figures(result: Any) -> dict[str, Any]:
    o = result.overall
    return {
        "precision": round(o.precision, 6),
        "recall": round(o.recall, 6),
        "wrong_pairs": o.predicted_pairs - o.correct_pairs,
        "predicted_pairs": o.predicted_pairs,
        "true_pairs": o.true_pairs,
        "split": result.split,
        "merged": result.merged,
    }


async def _records(population: Any) -> dict[str, list[dict[str, Any]]]:
    """Every source's records as Splink rows, one per key, read through the same mappings."""
    from fixtures.population.records import memory_connectors
    from govgraph.departments import all_departments
    from govgraph.linkage.identity import split_forenames
    from govgraph.linkage.sources import mappers

    by_source = mappers(all_departments())
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, connector in memory_connectors(population).items():
        mapper = by_source.get(name)
        if mapper is None:
            continue
        rows: dict[str, dict[str, Any]] = {}
        async for batch in connector.scan(1000):
            for key, record in batch:
                if key in rows:
                    continue
                if mapper.attaches:
                    a = mapper.attachment(key, record)
                    if a is None:
                        continue
                    given, middle = split_forenames(a.forenames)
                    rows[a.key] = _row(a.key, given, middle, a.surname, None, "", a.postcode)
                    rows[a.key]["vrms"] = [a.value] if a.identifier == "vrm" else []
                    continue
                i = mapper.identity(key, record)
                if i is None:
                    continue
                row = _row(key, i.gn, " ".join(i.mids), i.sn, i.date_of_birth, i.sex, i.pc)
                held = dict(i.held)
                row["nino"] = key if mapper.key_identifier == "nino" else held.get("nino")
                row["vrms"] = [v for k, v in i.held if k == "vrm"]
                rows[key] = row
        tables[name] = list(rows.values())
    return tables


def _row(
    key: str, given: str, middle: str, surname: str, dob: date | None, sex: str, pc: str
) -> dict[str, Any]:
    return {
        "unique_id": key,
        "first_name": given.upper() or None,
        "middle_names": middle.upper() or None,
        "surname": surname.upper() or None,
        "dob": dob.isoformat() if dob else None,
        "birth_year": dob.year if dob else None,
        "sex": sex or None,
        "postcode": pc.upper() or None,
        "nino": None,
        "vrms": [],
    }


def _splink(population: Any, out: Path) -> dict[str, Any]:
    try:
        import pyarrow as pa
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError:
        return {"skipped": "splink is not installed"}
    from govgraph.linkage import evaluate_groups

    tables = asyncio.run(_records(population))
    started = time.perf_counter()
    db = DuckDBAPI()
    names = sorted(tables)
    frames = [db.register(pa.Table.from_pylist(tables[n]), dataset_display_name=n) for n in names]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nino"),
            cl.ArrayIntersectAtSizes("vrms", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("surname", "postcode"),
            block_on("first_name", "postcode"),
            block_on("first_name", "surname", "birth_year"),
            block_on("nino"),
            block_on("vrms", arrays_to_explode=["vrms"]),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frames, settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nino"), block_on("first_name", "surname", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname", "postcode")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    duplicate_free = [n for n in names if n != "parking"]
    clusters = linker.clustering.cluster_using_single_best_links(
        predictions, duplicate_free_datasets=duplicate_free, threshold_match_probability=THRESHOLD
    )
    rows = clusters.as_record_list()
    seconds = time.perf_counter() - started
    groups: dict[Any, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups[r["cluster_id"]][r["source_dataset"]].append(r["unique_id"])
    result = evaluate_groups(list(groups.values()), out / "truth.jsonl", Counter())
    return {**_figures(result), "seconds": round(seconds, 2)}


def _side(side: str, people: int, seed: int, noise: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gg-vs-splink-") as tmp:
        out = Path(tmp)
        population = _population(people, seed, noise, out)
        if side == "govgraph":
            figures = asyncio.run(_govgraph(population, out))
        else:
            figures = _splink(population, out)
    figures["peak_rss_mib"] = _peak_mib()
    return figures


def _child(side: str, people: int, seed: int, noise: str) -> dict[str, Any]:
    args = [sys.executable, __file__, "--side", side]
    args += ["--people", str(people), "--seed", str(seed), "--noise", noise]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise", default="realistic,hard")
    parser.add_argument("--side", choices=("govgraph", "splink"))
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.people = 300
    if args.side:
        print(json.dumps(_side(args.side, args.people, args.seed, args.noise)))
        return
    figures: dict[str, Any] = {"people": args.people, "seed": args.seed}
    for noise in args.noise.split(","):
        ours = _child("govgraph", args.people, args.seed, noise)
        theirs = _child("splink", args.people, args.seed, noise)
        level: dict[str, Any] = {"govgraph": ours, "splink": theirs}
        if "precision" in ours and "precision" in theirs:
            level["precision_at_least_splink"] = ours["precision"] >= theirs["precision"]
            level["recall_at_least_splink"] = ours["recall"] >= theirs["recall"]
        figures[noise] = level
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
