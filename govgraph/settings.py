"""Gateway configuration: one TOML file, overridable by environment variables, validated at start.

Layout of ``govgraph.toml``::

    [gateway]            # server, store and limits
    [auth]               # token issuer, audience and keys
    [sources.NAME]       # one block per legacy source
    kind = "soap"        # connector kind (see ``govgraph connectors``)
    timeout_s = 5.0      # gateway-side policy for this source
    [sources.NAME.options]  # the connector kind's own settings

An environment variable ``GOVGRAPH__A__B__C=value`` overrides key ``a.b.c`` (names are
lower-cased; the value is read as a TOML value when it parses as one, else as a string).
Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govgraph.departments import all_departments, department_problems
from govgraph.logs import LogSettings
from govgraph.outbox.worker import WorkerSettings
from govgraph.resilience.policy import SourceSettings
from govgraph.statistics.settings import StatisticsSettings
from govgraph.tracing import TracingSettings
from govgraph.webapp.settings import WebAppSettings
from legacy_connectors.errors import ConfigurationError, LegacyError
from legacy_connectors.registry import load_kind

__all__ = [
    "AuthSettings",
    "ConfigError",
    "GatewaySettings",
    "Settings",
    "SourceSettings",
    "load_settings",
    "resolve_paths",
    "settings_from_mapping",
]

ENV_PREFIX = "GOVGRAPH__"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


def _declared_costs() -> dict[str, int]:
    """Each declared department's read cost by source, and the index's; only the index's while
    the declarations are inconsistent (that is reported as a configuration problem)."""
    costs = {} if department_problems() else {d.source_name: d.cost for d in all_departments()}
    return {**costs, "index": 1}


class GatewaySettings(_Model):
    """The server itself."""

    host: str = "127.0.0.1"
    """Interface to listen on."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port to listen on."""
    profile: Literal["demo", "production", "analyst"] = "demo"
    """``production`` turns GraphiQL and introspection off."""
    index_url: str = "sqlite+aiosqlite:///govgraph-index.sqlite"
    """SQLAlchemy async URL of the citizen index store."""
    request_timeout_s: float = Field(default=10.0, gt=0)
    """Deadline for a whole GraphQL request; every upstream call respects it."""
    keep_alive_s: int = Field(default=75, ge=1, le=3600)
    """How long an idle client connection is kept open. Longer than the idle timeout of the
    clients and load balancers in front (HTTP clients commonly 5 s, load balancers 60 s), so
    that the gateway never closes a connection a client is about to reuse."""
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    """Largest accepted request body."""
    document_cache_size: int = Field(default=1000, ge=0)
    """How many parsed and validated operations to keep."""
    data_dir: str | None = None
    """Folder of the demo's generated data (demo profile only)."""
    batch_loads: bool = True
    """Batch each source's keys per request level; ``false`` calls once per key (debugging)."""
    introspection: bool | None = None
    """Allow schema introspection; unset means off in the ``production`` profile, else on."""
    max_depth: int = Field(default=12, ge=1)
    """Deepest field nesting an operation may have (introspection fields not counted)."""
    max_aliases: int = Field(default=15, ge=0)
    """Most aliased fields one operation may contain."""
    max_tokens: int = Field(default=5000, ge=10)
    """Most lexical tokens an operation's text may contain (checked while parsing)."""
    max_cost: int = Field(default=5000, ge=1)
    """Highest estimated cost of one operation (see ``cost_weights``)."""
    cost_weights: dict[str, int] = Field(default_factory=lambda: _declared_costs())
    """Cost of a field that reads a source, by source (default: each department's declared
    cost); other object fields cost 1."""
    list_size_estimate: int = Field(default=10, ge=1)
    """Items assumed in a list field that takes no page size, when estimating cost."""
    persisted_operations: Literal["off", "automatic", "allowlist"] = "automatic"
    """``automatic``: Apollo automatic persisted queries; ``allowlist``: only the manifest's."""
    persisted_manifest: str | None = None
    """Persisted query manifest (Apollo's JSON format) of the operations allowed."""
    apq_cache_size: int = Field(default=10_000, ge=0)
    """How many automatically persisted operations to remember."""
    rate_limit: str | None = "3000/minute"
    """Requests each principal may make, in ``limits`` notation (``none`` to disable)."""
    rate_limit_storage: str = "memory://"
    """Where rate-limit counters live: ``memory://`` or ``redis://host:port``."""
    rate_limit_on_store_failure: Literal["open", "closed"] = "open"
    """When the counter store (Redis) cannot be reached: ``open`` serves the request (and logs
    the failure); ``closed`` refuses it with HTTP 503 ``RATE_LIMIT_UNAVAILABLE``
    (retryable, ``Retry-After: 1``)."""
    rate_limit_key_prefix: str = "govgraph"
    """Prefix of the rate-limit counters' keys in Redis (separates deployments sharing one)."""
    auth_failure_limit: str | None = "30/minute"
    """Failed authentications each client address may cause, in ``limits`` notation (``none``
    to disable); over it, requests carrying a token get 429 before the token is checked. The
    address is the connection's peer, or the client a trusted proxy reports (uvicorn's
    ``FORWARDED_ALLOW_IPS``)."""
    federation: bool = False
    """Serve as an Apollo Federation v2 subgraph: ``_service { sdl }`` and ``_entities``, with
    ``Citizen @key(fields: "id")`` (``govgraph serve --federation`` sets it too)."""
    ledger_url: str | None = None
    """SQLAlchemy async URL of the access ledger; unset means the citizen index store."""


class AuthSettings(_Model):
    """Who may call the gateway: OpenID Connect bearer tokens."""

    issuer: str = "govgraph-demo-idp"
    """Expected ``iss`` claim."""
    audience: str = "govgraph"
    """Expected ``aud`` claim."""
    jwks_file: str | None = None
    """A JSON Web Key Set file with the issuer's public keys."""
    jwks_url: str | None = None
    """URL of the issuer's JSON Web Key Set (fetched and cached)."""
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    """Accepted signature algorithms (asymmetric only)."""
    leeway_s: int = Field(default=30, ge=0, le=300)
    """Clock skew allowed on ``exp`` and ``nbf``."""
    max_token_lifetime_s: int = Field(default=86_400, gt=0)
    """Longest lifetime (``exp - iat``) an accepted token may have."""
    jwks_cache_s: float = Field(default=300.0, gt=0)
    """How long fetched keys are used before they are fetched again."""
    jwks_min_refresh_s: float = Field(default=10.0, ge=0)
    """Shortest interval between key fetches triggered by an unknown ``kid``."""
    caseworker_purposes: tuple[str, ...] = (
        "case-review",
        "benefit-claim",
        "tax-enquiry",
        "identity-check",
        "debt-recovery",
        "fraud-investigation",
    )
    """Purposes a caseworker may state to read a citizen's records."""
    field_confidence: dict[str, Literal["P0", "P1", "P2", "P3", "P4"]] = Field(default_factory=dict)
    """Overrides of the minimum identity confidence per field group, e.g. ``tax = "P3"``."""


class Settings(_Model):
    """The whole gateway configuration."""

    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    statistics: StatisticsSettings = Field(default_factory=StatisticsSettings)
    """Statistics for analysts: disclosure threshold, perturbation and caching."""
    outbox: WorkerSettings = Field(default_factory=WorkerSettings)
    """The delivery worker of writes (tell-us-once address changes): pacing and retries."""
    logs: LogSettings = Field(default_factory=LogSettings)
    """Log format and level."""
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    """Where traces go (OpenTelemetry)."""
    webapp: WebAppSettings = Field(default_factory=WebAppSettings)
    """The citizen app at ``/app``: its API, OpenID provider and session cookie."""


class ConfigError(ConfigurationError):
    """The configuration is invalid; ``problems`` lists every error with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not path:
            continue
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = _env_value(raw)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(model: Any, loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The settings model holding the key at ``loc`` (through nested models, dicts, lists)."""
    node: Any = model
    for part in loc:
        for option in get_args(node) if get_origin(node) in (UnionType, Union) else (node,):
            if isinstance(option, type) and issubclass(option, BaseModel):
                field = option.model_fields.get(str(part))
                node = field.annotation if field is not None else None
                break
            if get_origin(option) in (dict, list, tuple) and get_args(option):
                node = get_args(option)[-1 if get_origin(option) is dict else 0]
                break
        else:
            return None
    for option in get_args(node) if get_origin(node) in (UnionType, Union) else (node,):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def _unknown_key(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> tuple[str, str]:
    """``unknown key`` with the closest known key, and the known keys to list after the value."""
    holder = _model_at(model, loc[:-1]) if model is not None else None
    if holder is None:
        return "unknown key", ""
    known = sorted(holder.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}", f"; known keys: {', '.join(known)}"


def _format_errors(
    exc: ValidationError,
    prefix: tuple[str | int, ...] = (),
    model: type[BaseModel] | None = None,
) -> list[str]:
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in (*prefix, *err["loc"]))
        found = "" if err["type"] == "missing" else f", found {_describe(err.get('input'))}"
        message, known = err["msg"].lower(), ""
        if err["type"] == "extra_forbidden":
            message, known = _unknown_key(model, err["loc"])
        problems.append(f"{path}: {message}{found}{known}")
    return problems


def resolve_paths(options: dict[str, Any], base: Path) -> dict[str, Any]:
    """Turn relative path-like option values (``./x``, ``../x``) into absolute ones."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, str) and value.startswith(("./", "../")):
            out[key] = str((base / value).resolve())
        elif isinstance(value, dict):
            out[key] = resolve_paths(value, base)
        else:
            out[key] = value
    return out


def settings_from_mapping(
    data: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    check_sources: bool = True,
) -> Settings:
    """Validate a configuration mapping; raise :class:`ConfigError` listing every problem."""
    merged: dict[str, Any] = _deep_copy(data)
    _apply_env(merged, os.environ if environ is None else environ)
    if base_dir is not None:
        for source in (merged.get("sources") or {}).values():
            if isinstance(source, dict) and isinstance(source.get("options"), dict):
                source["options"] = resolve_paths(source["options"], base_dir)
    problems: list[str] = []
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems.extend(_format_errors(exc, model=Settings))
        settings = None
    if check_sources:
        problems.extend(department_problems())
        for name, raw in (merged.get("sources") or {}).items():
            if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
                continue
            try:
                cls = load_kind(raw["kind"])
            except LegacyError as exc:
                problems.append(f"sources.{name}.kind: {exc.message}")
                continue
            try:
                cls.Settings.model_validate(raw.get("options") or {})
            except ValidationError as exc:
                problems.extend(_format_errors(exc, ("sources", name, "options"), cls.Settings))
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def load_settings(
    path: str | Path, *, environ: Mapping[str, str] | None = None, check_sources: bool = True
) -> Settings:
    """Read, override from the environment and validate a ``govgraph.toml`` file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    return settings_from_mapping(
        data, base_dir=path.parent.resolve(), environ=environ, check_sources=check_sources
    )
