"""Redaction of text that is about to be logged: identifiers, tokens, SQL and XML bodies.

Logs must not carry personal data. The gateway logs only its own messages and the operator
detail of upstream errors; that detail comes from legacy systems (a fault string, a driver's
message) and may quote a key, a statement or an envelope, so it passes through
:func:`redact` first. Names cannot be recognised by pattern: they are kept out by never logging
records, requests or responses at all.
"""

from __future__ import annotations

import logging
import re

__all__ = ["DATA_LOGGERS", "quiet_data_loggers", "redact"]

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[SQL:.*?\](?=\s*(\[|\(|$))", re.S), "[SQL]"),
    (re.compile(r"\[parameters:.*?\](?=\s*(\[|\(|$))", re.S), "[parameters]"),
    (re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*", re.S | re.I), "[SQL]"),
    (re.compile(r"<\?xml.*|<[\w-]*:?Envelope\b.*", re.S), "[XML]"),
    (re.compile(r"eyJ[\w-]*\.[\w-]*\.?[\w-]*"), "[token]"),
    (re.compile(r"(?i)\bbearer\s+\S+"), "Bearer [token]"),
    (re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"), "[nino]"),
    (re.compile(r"\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b"), "[licence]"),
    (re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"), "[vrm]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"), "[postcode]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}/\d{2}/\d{4}\b"), "[date]"),
    (re.compile(r"\b\d{8,}\b"), "[number]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
)

_MAX = 500


def redact(text: str | None) -> str:
    """``text`` with anything that may identify a person, a token, SQL or XML replaced."""
    if not text:
        return ""
    out = text
    for pattern, replacement in _RULES:
        out = pattern.sub(replacement, out)
    return out if len(out) <= _MAX else out[: _MAX - 3] + "..."


DATA_LOGGERS = (
    "aiosqlite",
    "asyncpg",
    "aiomysql",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "zeep",
    "httpcore",
    "hpack",
)
"""Libraries whose debug output quotes statements with their parameters, envelopes or headers."""


def quiet_data_loggers() -> None:
    """Keep :data:`DATA_LOGGERS` at WARNING or above, whatever the root level, so that turning
    on debug logging never writes citizens' data (statements, their parameters, SOAP bodies)."""
    for name in DATA_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING or logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
