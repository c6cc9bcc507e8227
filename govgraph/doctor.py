"""Try each configured source the way the gateway will use it, and say what is wrong.

For every source: is it **reachable** (it opens and its health is not down), are the gateway's
credentials **accepted**, does the **layout** (WSDL, copybook and file, SQL mapping) match the
upstream, and can one **sample** record be fetched and decoded (the first batch of ``scan()``,
or ``load_many`` of a given sample key). Each failed step carries a hint naming the setting to
look at. Connector kinds (``sql`` among them, and plugins) may offer
``async def layout_problems(self) -> list[str]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import ValidationError

from govgraph.settings import Settings, SourceSettings
from legacy_connectors.base import Connector, PartialRecords
from legacy_connectors.errors import LegacyError, NotAuthorisedError
from legacy_connectors.registry import load_kind

__all__ = ["STEPS", "SourceReport", "Step", "check_settings", "check_source"]

Status = Literal["ok", "warn", "fail", "skip"]
STEPS = ("reachable", "authenticated", "layout", "sample")

_ADDRESS = {
    "soap": "options.endpoint (or the WSDL's address) and that the service is running",
    "sql": "options.url (or options.databases) and that the database server is running",
    "flatfile": "options.directory (is it mounted?) and options.pattern",
}
_HINTS = {
    "UPSTREAM_TIMEOUT": "the upstream is slow or the address is wrong: check {address}; "
    "raise sources.{name}.timeout_s if it is merely slow",
    "UPSTREAM_NOT_AUTHORISED": "check the credentials named in sources.{name}.options "
    "(password_env, password_file, token_env, token_file): is the variable set, the file "
    "current?",
    "CONNECTOR_CONFIGURATION": "sources.{name}.options do not match the upstream: fix the "
    "setting the message names, then run govgraph config check",
    "UPSTREAM_PROTOCOL_ERROR": "the upstream answered something unexpected: does {address} "
    "point at the right service and version?",
    "CORRUPT_RECORD": "records do not decode: does the layout (copybook, mapping, WSDL) in "
    "sources.{name}.options match the data?",
    "UPSTREAM_BUSY": "the upstream is overloaded: try again later",
}


@dataclass(slots=True)
class Step:
    """The outcome of one check of one source."""

    status: Status
    detail: str = ""
    hint: str = ""


@dataclass(slots=True)
class SourceReport:
    """Every step's outcome for one source."""

    name: str
    kind: str
    steps: dict[str, Step] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    @property
    def verdict(self) -> Literal["OK", "DEGRADED", "FAILED"]:
        statuses = {step.status for step in self.steps.values()}
        if "fail" in statuses:
            return "FAILED"
        return "DEGRADED" if "warn" in statuses else "OK"


def _address(name: str, kind: str) -> str:
    where = _ADDRESS.get(kind, "the upstream's address in options (e.g. options.base_url)")
    return f"sources.{name}.{where}"


def _hint(error: LegacyError, name: str, kind: str) -> str:
    address = _address(name, kind)
    template = _HINTS.get(error.code, "check {address}")
    return template.format(name=name, address=address)


def _failure(error: BaseException, name: str, kind: str) -> Step:
    if isinstance(error, LegacyError):
        return Step("fail", f"{error.code}: {error.message}", _hint(error, name, kind))
    if isinstance(error, TimeoutError):
        return Step("fail", "no answer in time", f"check {_address(name, kind)}")
    return Step("fail", f"unexpected {type(error).__name__}", "see the gateway log for details")


async def _layout(connector: Connector, kind: str, facts: Mapping[str, Any]) -> Step:
    name = connector.name
    hook = getattr(connector, "layout_problems", None)
    if callable(hook):
        problems = await cast(Callable[[], Awaitable[list[str]]], hook)()
        if kind == "sql" and problems:
            hint = (
                f"run govgraph sql check --source {name}; update the mapping in "
                f"sources.{name}.options or the database"
            )
        else:
            hint = f"fix sources.{name}.options"
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            return Step("fail", "; ".join(problems[:3]) + more, hint)
        return Step("ok", "tables and columns match the mapping" if kind == "sql" else "matches")
    if kind == "flatfile":
        if facts.get("rejected_files"):
            return Step(
                "warn",
                f"{facts['rejected_files']} newer file(s) rejected: {facts.get('last_error', '')}",
                "the newest file failed its checks (trailer count or hash, framing); the "
                "previous one is served",
            )
        if "file" in facts:
            return Step("ok", f"{facts['file']}: {facts.get('data_records', '?')} records")
    if kind == "soap":
        return Step("ok", "WSDL read; operations compiled")
    return Step("skip", "no layout check for this kind; the sample stands in for one")


async def _first_scanned(connector: Connector) -> tuple[str, Any] | None:
    scan = cast(AsyncIterator[list[tuple[str, Any]]], connector.scan(1))
    async with contextlib.aclosing(scan):  # type: ignore[type-var]
        batch = await anext(scan, None)
    return batch[0] if batch else None


async def _sample(connector: Connector, sample_key: str | None) -> Step:
    name, kind = connector.name, connector.kind
    if sample_key is None:
        try:
            first = await _first_scanned(connector)
        except NotImplementedError:
            return Step("skip", "this kind cannot scan", f"pass --sample {name}=KEY")
        if first is None:
            return Step("warn", "the source holds no records", "is this the right upstream?")
        return Step("ok", f"1 record decoded by scan ({len(first[1])} fields)")
    [result] = await connector.load_many([sample_key])
    if isinstance(result, LegacyError):
        return _failure(result, name, kind)
    if isinstance(result, PartialRecords):
        if result.errors:
            return Step(
                "warn",
                f"{len(result.records)} record(s); {len(result.errors)} part(s) failed: "
                + "; ".join(f"{e.service}: {e.code}" for e in result.errors[:3]),
                f"check {_address(name, kind)}",
            )
        result = result.records
    if result is None or result == []:
        return Step("warn", "the sample key is not held", "pick a key the upstream holds")
    records = result if isinstance(result, list) else [result]
    return Step("ok", f"{len(records)} record(s) decoded for the sample key")


async def _reachable(
    connector: Connector, kind: str, steps: dict[str, Step], facts: dict[str, Any]
) -> Step:
    name = connector.name
    await connector.open()
    health = await connector.health()
    facts.update(health.facts)
    if health.status == "down" and facts.get("authenticated") is False:
        steps["authenticated"] = Step(
            "fail", health.detail, _hint(NotAuthorisedError(""), name, kind)
        )
        return Step("ok", "answers")
    if health.status == "down":
        return Step("fail", health.detail or "down", f"check {_address(name, kind)}")
    if facts.get("authenticated") is True:
        steps["authenticated"] = Step("ok", "credentials accepted")
    if health.status == "degraded":
        return Step("warn", health.detail or "degraded", f"check {_address(name, kind)}")
    latency = f" in {health.latency_ms:.0f} ms" if health.latency_ms is not None else ""
    return Step("ok", f"up{latency}")


async def _run(
    steps: dict[str, Step],
    step: str,
    connector: Connector,
    kind: str,
    limit: float,
    work: Callable[[], Awaitable[Step]],
) -> bool:
    """Run one step under a time limit; record its outcome; return whether to go on."""
    try:
        async with asyncio.timeout(limit):
            steps[step] = await work()
    except NotAuthorisedError as exc:
        steps.setdefault("reachable", Step("ok", "answers"))
        steps["authenticated"] = _failure(exc, connector.name, kind)
        return False
    except Exception as exc:
        steps[step] = _failure(exc, connector.name, kind)
        return step != "reachable"
    if steps.get("authenticated", Step("ok")).status == "fail":
        return False
    return steps[step].status != "fail" or step != "reachable"


async def check_source(
    name: str, policy: SourceSettings, *, sample_key: str | None = None
) -> SourceReport:
    """Run every step against one source; never raises."""
    report = SourceReport(name, policy.kind)
    steps = report.steps
    kind = policy.kind
    started = time.perf_counter()
    try:
        connector = load_kind(kind).from_options(name, policy.options)
    except (LegacyError, ValidationError) as exc:
        steps["reachable"] = Step(
            "fail", f"cannot build the connector: {exc}", "run govgraph config check"
        )
        return report
    limit = max(policy.timeout_s, 10.0)
    facts: dict[str, Any] = {}
    try:
        if not await _run(
            steps,
            "reachable",
            connector,
            kind,
            limit,
            lambda: _reachable(connector, kind, steps, facts),
        ):
            return report
        await _run(steps, "layout", connector, kind, limit, lambda: _layout(connector, kind, facts))
        if not await _run(
            steps, "sample", connector, kind, limit, lambda: _sample(connector, sample_key)
        ):
            return report
        if kind == "flatfile":
            steps["authenticated"] = Step("skip", "files need no credentials")
        elif "authenticated" not in steps and steps["sample"].status == "ok":
            steps["authenticated"] = Step("ok", "a call succeeded")
    finally:
        with contextlib.suppress(Exception):
            await connector.aclose()
        report.elapsed_ms = (time.perf_counter() - started) * 1000
    return report


async def check_settings(
    settings: Settings,
    *,
    only: list[str] | None = None,
    samples: Mapping[str, str] | None = None,
) -> list[SourceReport]:
    """Check every configured source (or those in ``only``) concurrently, in config order."""
    names = [n for n in settings.sources if not only or n in only]
    samples = samples or {}
    return list(
        await asyncio.gather(
            *(check_source(n, settings.sources[n], sample_key=samples.get(n)) for n in names)
        )
    )
