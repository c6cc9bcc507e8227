"""Keep reply values out of zeep's logs.

zeep logs a value it cannot convert (``Error during xml -> python translation``) with the
exception, whose message quotes the value: a name, a NINO, a date of birth. The filter
installed here keeps such records but drops the exception and its arguments, so the log says
that a conversion failed without saying what the value was.
"""

from __future__ import annotations

import logging

__all__ = ["ValueRedactingFilter", "install"]

_LOGGERS = ("zeep.xsd.types.simple", "zeep.xsd.elements.attribute")


class ValueRedactingFilter(logging.Filter):
    """Removes exception details (which quote reply values) from zeep's conversion errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            exc = record.exc_info[1]
            kind = type(exc).__name__ if exc is not None else "error"
            record.msg = f"{record.getMessage()} ({kind}; value not logged)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install() -> None:
    """Add the filter to zeep's converting loggers (once; safe to call again)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ValueRedactingFilter) for f in logger.filters):
            logger.addFilter(ValueRedactingFilter())
