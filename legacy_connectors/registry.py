"""Find connector kinds by name: built-ins loaded lazily, others from entry points.

Third-party kinds register in the ``govgraph.connectors`` entry-point group, e.g. in their
``pyproject.toml``::

    [project.entry-points."govgraph.connectors"]
    rest = "govgraph_rest:RestConnector"
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from legacy_connectors.base import Connector
from legacy_connectors.errors import ConfigurationError

__all__ = ["BUILTIN_KINDS", "ENTRY_POINT_GROUP", "known_kinds", "load_kind"]

ENTRY_POINT_GROUP = "govgraph.connectors"

BUILTIN_KINDS: dict[str, str] = {
    "soap": "legacy_connectors.soap:SoapConnector",
    "flatfile": "legacy_connectors.flatfile:FlatFileConnector",
    "sql": "legacy_connectors.sql:SqlConnector",
}


def _plugin_kinds() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_kinds() -> dict[str, str]:
    """Every kind this installation can load, by name, with its ``module:Class`` target."""
    kinds = dict(_plugin_kinds())
    kinds.update(BUILTIN_KINDS)
    return dict(sorted(kinds.items()))


def load_kind(kind: str) -> type[Connector]:
    """Import and return the connector class registered as ``kind``."""
    kinds = known_kinds()
    target = kinds.get(kind)
    if target is None:
        raise ConfigurationError(
            f"unknown connector kind {kind!r}; known kinds: {', '.join(kinds) or 'none'}"
        )
    module_name, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"connector kind {kind!r} is registered as {target!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise ConfigurationError(f"connector kind {kind!r} ({target}) is not a Connector subclass")
    return obj
