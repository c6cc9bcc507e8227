"""Cursor connection arguments (Relay): ``first``/``after`` forwards, ``last``/``before``
backwards, checked the same way for every connection."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from resolvers.errors import InvalidInput

__all__ = ["DEFAULT_PAGE_SIZE", "PageArgs", "decode_cursor", "encode_cursor", "page_args"]

DEFAULT_PAGE_SIZE = 20
"""Page size when neither ``first`` nor ``last`` is given."""

_MAX_CURSOR_LENGTH = 256


@dataclass(frozen=True, slots=True)
class PageArgs:
    """A checked page request: exactly one of ``first`` and ``last`` is set, 0 or more."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


def page_args(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    maximum: int,
) -> PageArgs:
    """The page asked for, or :class:`InvalidInput` naming the argument that is wrong."""
    if first is not None and last is not None:
        raise InvalidInput("give `first` (with `after`) or `last` (with `before`), not both")
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= maximum:
            raise InvalidInput(f"`{name}` must be between 0 and {maximum}, got {value}")
    return PageArgs(first=first, after=after, last=last, before=before)


def encode_cursor(kind: str, key: str) -> str:
    """An opaque cursor: ``base64url("kind:key")``."""
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str, argument: str) -> str | None:
    """The key in a cursor of ``kind`` (``None`` for no cursor), or :class:`InvalidInput`
    naming ``argument``."""
    if cursor is None:
        return None
    problem = InvalidInput(f"`{argument}` is not a cursor from this API")
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise problem
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise problem from exc
    found, sep, key = raw.partition(":")
    if found != kind or not sep or not key:
        raise problem
    return key
