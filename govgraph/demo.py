"""The demo: generated data, the simulated legacy systems, linkage and a configured gateway.

Nothing here is used by a production gateway; it wires the simulated departments in
``fixtures/`` to the same configuration a production deployment would write by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w

from govgraph.idp import DEMO_AUDIENCE, DEMO_ISSUER, identity_provider

__all__ = [
    "DEMO_AUDIENCE",
    "DEMO_ISSUER",
    "ensure_data",
    "identity_provider",
    "tax_service",
    "with_includes",
    "write_config",
]


def ensure_data(
    data_dir: Path, *, people: int = 1000, seed: int = 0, noise: str = "realistic"
) -> bool:
    """Generate the demo population into ``data_dir`` unless it is already there."""
    if (data_dir / "manifest.json").exists():
        return False
    from fixtures.generate import generate, write_all

    data_dir.mkdir(parents=True, exist_ok=True)
    write_all(generate(people=people, seed=seed, noise=noise), data_dir)
    return True


@contextmanager
def tax_service(
    data_dir: Path, *, latency_ms: float = 0.0, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Run the simulated SOAP tax service in a child process; yield its base URL."""
    cmd = [
        sys.executable,
        "-m",
        "fixtures.tax",
        "serve",
        "--data",
        str(data_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        base_url = None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("listening on "):
                base_url = line.split("listening on ", 1)[1].strip()
                break
        if base_url is None:
            raise RuntimeError("the simulated tax service did not start")
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def config_mapping(
    data_dir: Path,
    tax_base_url: str,
    *,
    port: int = 8000,
    host: str = "127.0.0.1",
    latency_ms: float = 0.0,
) -> dict[str, Any]:
    """The demo gateway's configuration (what ``govgraph.toml`` holds)."""
    from fixtures.demo_sources import source_blocks, statistics_areas

    data_dir = data_dir.resolve()
    sources = source_blocks(data_dir, tax_base_url, latency_ms=latency_ms)
    return {
        "gateway": {
            "host": host,
            "port": port,
            "profile": "demo",
            "index_url": f"sqlite+aiosqlite:///{data_dir / 'index.sqlite'}",
            "data_dir": str(data_dir),
        },
        "auth": {
            "issuer": DEMO_ISSUER,
            "audience": DEMO_AUDIENCE,
            "jwks_file": str(data_dir / "keys" / "jwks.json"),
        },
        "sources": sources,
        "statistics": {"areas": statistics_areas()},
    }


def with_includes(mapping: dict[str, Any], includes: list[Path]) -> dict[str, Any]:
    """``mapping`` with each TOML file of ``includes`` merged in, in order: its tables are
    merged key by key (a source block of the same name is replaced); relative ``./`` paths in
    its sources' options are resolved against the file's own folder."""
    from govgraph.settings import ConfigError, resolve_paths

    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in mapping.items()}
    for include in includes:
        try:
            extra = tomllib.loads(include.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError([f"{include}: file not found"]) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{include}: not valid TOML: {exc}"]) from exc
        base = include.parent.resolve()
        for block in (extra.get("sources") or {}).values():
            if isinstance(block, dict) and isinstance(block.get("options"), dict):
                block["options"] = resolve_paths(block["options"], base)
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def write_config(path: Path, mapping: dict[str, Any]) -> None:
    """Write a ``govgraph.toml``."""
    path.write_text(tomli_w.dumps(mapping), encoding="utf-8")
