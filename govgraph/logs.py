"""Structured JSON logs, each line carrying the id of the request it was written for.

The request path passes its id with ``extra={"request_id": ...}``; a line written during an
upstream call without one takes the id of the call (:func:`legacy_connectors.base.current_call`,
set by :class:`govgraph.sources.Source` for that call only).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from legacy_connectors.base import current_call

__all__ = [
    "JsonFormatter",
    "LogSettings",
    "RequestIdFilter",
    "configure_logging",
]

_EXTRA_FIELDS = (
    "code",
    "service",
    "source",
    "operation",
    "state",
    "path",
    "detail",
    "duration_ms",
    "status",
)
"""Attributes passed with ``extra=`` that go into the JSON line (nothing else does, so a stray
attribute cannot leak data)."""


class LogSettings(BaseModel):
    """How the gateway writes its logs."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    format: Literal["json", "text"] = "json"
    """``json``: one JSON object per line (for log shippers); ``text``: for people."""
    level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level written by the gateway's own loggers."""


class RequestIdFilter(logging.Filter):
    """Adds the current upstream call's ``request_id`` to every record that lacks one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_call().request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id and known extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            out["request_id"] = request_id
        for name in _EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["error_type"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


_HANDLER_NAME = "govgraph-structured"


def configure_logging(settings: LogSettings, stream: Any = None) -> logging.Handler:
    """Send the gateway's and uvicorn's logs through one handler on the root logger.

    Idempotent: a second call replaces the handler it added before and touches no other.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    level = getattr(logging, settings.level.upper())
    for name in ("govgraph", "legacy_connectors"):
        logging.getLogger(name).setLevel(level)
    return handler
