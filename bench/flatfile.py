"""Flat-file connector benchmark: decode rates, Parquet export, memory, index, lookups.

Run: python bench/flatfile.py [--records N] [--memory-records M] [--smoke]
Generates a synthetic file of about 100 bytes a record (text, zoned, overpunched, COMP, COMP-3
and date fields) in a temporary directory, then measures:
- full decode rate of the per-record path and of the columnar path (records to typed columns,
  in blocks), in records per CPU second so that other load on a shared machine does not distort
  them (wall-clock rates printed too), and each one's ratio to plain ``bytes.decode('cp037')``;
- Parquet export of the whole file (``govgraph flatfile decode --format parquet``'s code path);
- peak memory (max RSS of a child process) while decoding a file of ``--memory-records``
  records by the columnar path, streamed in blocks from a memory-mapped file;
- index build time for the RECFM=VB file (framing walk, key gather, sort);
- ``load_many`` latency for 100 random keys (p50, p99);
- index memory per million records.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from legacy_connectors.flatfile import (
    FlatFileConnector,
    FlatFileSettings,
    Framing,
    RecordEncoder,
    frame_records,
    schema_from_settings,
)
from legacy_connectors.flatfile.files.dataset import load_generation
from legacy_connectors.flatfile.files.export import export
from legacy_connectors.flatfile.files.reader import FileReader
from legacy_connectors.flatfile.schema import decode_with_policy

MEMORY_CHILD = """
import mmap, resource, sys, time
from legacy_connectors.flatfile import FlatFileSettings, schema_from_settings
from legacy_connectors.flatfile.files.reader import FileReader
settings = FlatFileSettings.model_validate(
    {"copybook": sys.argv[1], "file": sys.argv[2], "recfm": "FB", "lrecl": 100,
     "key_field": "ACCOUNT-KEY",
     "date_fields": {"OPENED": "YYYYMMDD", "LAST-ACTIVITY": "CYYMMDD"}})
schema = schema_from_settings(settings)
with open(sys.argv[2], "rb") as fh:
    data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    reader = FileReader(data, schema, recfm="FB", lrecl=100)
    c0 = time.process_time()
    count = sum(len(block.numbers) for block in reader.blocks())
    cpu = time.process_time() - c0
    del reader
    data.close()
print(count, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

COPYBOOK = """\
       01  BENCH-REC.
           05  ACCOUNT-KEY        PIC X(10).
           05  HOLDER-NAME        PIC X(30).
           05  BRANCH             PIC 9(4).
           05  BALANCE            PIC S9(9)V99 COMP-3.
           05  CREDIT-LIMIT       PIC S9(7)V99.
           05  TXN-COUNT          PIC S9(8) COMP.
           05  RISK-SCORE         PIC S9(4) COMP.
           05  OPENED             PIC 9(8).
           05  LAST-ACTIVITY      PIC S9(7) COMP-3.
           05  STATUS-CODE        PIC X.
           05  REGION             PIC X(3).
           05  SEGMENT-CODE       PIC X(2).
           05  ARREARS            PIC S9(5)V99.
           05  FILLER             PIC X(3).
"""


def _options(folder: Path, recfm: str, name: str) -> dict[str, object]:
    return {
        "copybook": str(folder / "BENCH.cpy"),
        "file": str(folder / name),
        "recfm": recfm,
        "lrecl": 100,
        "key_field": "ACCOUNT-KEY",
        "date_fields": {"OPENED": "YYYYMMDD", "LAST-ACTIVITY": "CYYMMDD"},
    }


def generate(folder: Path, n: int) -> tuple[list[bytes], list[str]]:
    (folder / "BENCH.cpy").write_text(COPYBOOK)
    settings = FlatFileSettings.model_validate(_options(folder, "FB", "BENCH.FB"))
    schema = schema_from_settings(settings)
    encoder = RecordEncoder(schema.roots["BENCH-REC"], schema.options)
    rng = random.Random(7)
    templates = []
    for i in range(1000):
        templates.append(
            encoder.encode(
                {
                    "ACCOUNT_KEY": "X",
                    "HOLDER_NAME": f"HOLDER {rng.randrange(10**6)} SMITH-JONES",
                    "BRANCH": rng.randrange(10000),
                    "BALANCE": Decimal(rng.randrange(-(10**10), 10**10)).scaleb(-2),
                    "CREDIT_LIMIT": Decimal(rng.randrange(10**8)).scaleb(-2),
                    "TXN_COUNT": rng.randrange(10**7),
                    "RISK_SCORE": rng.randrange(-999, 999),
                    "OPENED": date(1990 + i % 30, 1 + i % 12, 1 + i % 28),
                    "LAST_ACTIVITY": date(2026, 1 + i % 12, 1 + i % 28),
                    "STATUS_CODE": "ACS"[i % 3],
                    "REGION": "LDN",
                    "SEGMENT_CODE": "RB",
                    "ARREARS": Decimal(-(i % 500)).scaleb(-2),
                }
            )
        )
    keys = [f"K{i:09d}" for i in range(n)]
    records = []
    for i, key in enumerate(keys):
        t = templates[i % 1000]
        records.append(key.encode("cp037") + t[10:])
    return records, keys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-records", type=int, default=10_000_000)
    parser.add_argument(
        "--smoke", action="store_true", help="2,000 records: checks the script runs, in seconds"
    )
    args = parser.parse_args()
    n = 2000 if args.smoke else args.records
    memory_n = 20_000 if args.smoke else args.memory_records
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        records, keys = generate(folder, n)
        fb = frame_records(records, Framing("FB", lrecl=100))
        (folder / "BENCH.FB").write_bytes(fb)
        (folder / "BENCH.VB").write_bytes(frame_records(records, Framing("VB")))
        print(f"generated {n} records of 100 bytes in {time.perf_counter() - t0:.1f} s")

        c0 = time.process_time()
        for _ in range(5):
            fb.decode("cp037")
        codec_s = (time.process_time() - c0) / 5
        codec_rps = n / codec_s
        print(
            f"bytes.decode('cp037') of the whole file: {codec_s:.3f} CPU s ({codec_rps:,.0f} rec/s)"
        )

        settings = FlatFileSettings.model_validate(_options(folder, "FB", "BENCH.FB"))
        schema = schema_from_settings(settings)
        decoder = schema.decoders["BENCH-REC"]
        t0, c0 = time.perf_counter(), time.process_time()
        for rec in records:
            decode_with_policy(decoder, rec, "fail_record")
        wall_s, decode_s = time.perf_counter() - t0, time.process_time() - c0
        decode_rps = n / decode_s
        print(
            f"full decode: {decode_s:.2f} CPU s ({wall_s:.2f} s wall), "
            f"{decode_rps:,.0f} records per CPU second ({n / wall_s:,.0f}/s wall)"
        )
        print("sample:", decode_with_policy(decoder, records[1], "fail_record"))

        reader = FileReader(fb, schema, recfm="FB", lrecl=100)
        t0, c0 = time.perf_counter(), time.process_time()
        decoded = sum(len(block.numbers) for block in reader.blocks())
        wall_s, columnar_s = time.perf_counter() - t0, time.process_time() - c0
        assert decoded == n
        columnar_rps = n / columnar_s
        print(
            f"columnar decode to typed columns: {columnar_s:.2f} CPU s ({wall_s:.2f} s wall), "
            f"{columnar_rps:,.0f} records per CPU second ({n / wall_s:,.0f}/s wall)"
        )

        parquet = folder / "BENCH.parquet"
        t0, c0 = time.perf_counter(), time.process_time()
        with open(parquet, "wb") as out:
            export(reader, out, "parquet", "fail_record", lambda rec: None)
        parquet_s, parquet_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"parquet export: {parquet_s:.2f} s wall ({parquet_cpu:.2f} CPU s), "
            f"{parquet.stat().st_size / 1e6:.1f} MB"
        )
        del reader
        parquet.unlink()

        big = folder / "BIG.FB"
        with open(big, "wb") as out:
            whole, rest = divmod(memory_n, n)
            for _ in range(whole):
                out.write(fb)
            out.write(fb[: rest * 100])
        child = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD, str(folder / "BENCH.cpy"), str(big)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
        big.unlink()
        count_s, cpu_s, rss_kb = child.stdout.split()
        memory_mb = int(rss_kb) / 1024
        print(
            f"columnar decode of {int(count_s):,} records from a mapped file: peak RSS "
            f"{memory_mb:,.0f} MB, {float(cpu_s):.1f} CPU s"
        )

        vb = FlatFileSettings.model_validate(_options(folder, "VB", "BENCH.VB"))
        vb_schema = schema_from_settings(vb)
        t0 = time.perf_counter()
        gen = load_generation(folder / "BENCH.VB", vb_schema, vb)
        build_vb = time.perf_counter() - t0
        index_mb = gen.index.nbytes / 1e6 * (1_000_000 / n)
        gen.close()
        t0 = time.perf_counter()
        gen = load_generation(folder / "BENCH.FB", schema, settings)
        build_fb = time.perf_counter() - t0
        gen.close()
        print(f"index build: VB {build_vb:.2f} s, FB {build_fb:.2f} s")
        print(f"index memory: {index_mb:.1f} MB per million records")

        sample_keys = random.Random(3).sample(keys, min(30_000, n))
        del records, keys, fb
        gc.collect()

        async def lookups() -> tuple[list[float], list[float]]:
            conn = FlatFileConnector.from_options("bench", _options(folder, "VB", "BENCH.VB"))
            await conn.open()
            rng = random.Random(11)
            times, cpu = [], []
            try:
                for _ in range(300):
                    batch = rng.sample(sample_keys, 100)
                    t, c = time.perf_counter(), time.process_time()
                    result = await conn.load_many(batch)
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c) * 1000)
                    assert all(isinstance(r, dict) for r in result)
            finally:
                await conn.aclose()
            return times, cpu

        wall, cpu = asyncio.run(lookups())
        times, cpu = sorted(wall), sorted(cpu)
        p50 = times[len(times) // 2]
        p99 = times[int(len(times) * 0.99) - 1]
        p99_cpu = cpu[int(len(cpu) * 0.99) - 1]
        print(
            f"load_many(100 random keys): p50 {p50:.2f} ms, p99 {p99:.2f} ms wall "
            f"(p99 {p99_cpu:.2f} ms CPU)"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    figures = {
        "records": n,
        "decode_rps": round(decode_rps),
        "codec_ratio": round(decode_rps / codec_rps, 4),
        "decode_columnar_rps": round(columnar_rps),
        "codec_ratio_columnar": round(columnar_rps / codec_rps, 4),
        "parquet_export_s": round(parquet_s, 3),
        "parquet_export_cpu_s": round(parquet_cpu, 3),
        "memory_records": memory_n,
        "memory_peak_mb": round(memory_mb, 1),
        "index_build_s": round(build_vb, 3),
        "index_build_fb_s": round(build_fb, 3),
        "lookup100_p50_ms": round(p50, 3),
        "lookup100_p99_ms": round(p99, 3),
        "lookup100_p99_cpu_ms": round(p99_cpu, 3),
        "index_mb_per_million": round(index_mb, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
