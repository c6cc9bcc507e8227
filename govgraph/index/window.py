"""Keyset windows for cursor connections: a page forwards or backwards, and what lies beyond.

One statement is cut by a unique, ordered key: rows strictly between ``after`` and ``before``;
then the first ``first`` of them, or the last ``last``. Whether rows lie past either end is
read, not guessed: the page query fetches one row more than asked for, and the other side is
one ``LIMIT 1`` look (the Relay cursor connection spec's ``hasPreviousPage`` and
``hasNextPage``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.engine import Row

__all__ = ["Window", "keyset_window"]

T = TypeVar("T")

Reader = Callable[[Any, dict[str, Any]], Awaitable[Sequence[Row[Any]]]]


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of rows in key order, and whether rows lie before and after it."""

    rows: list[T]
    has_previous: bool
    has_next: bool


async def keyset_window(
    read: Reader,
    stmt: Select[Any],
    key: ColumnElement[Any],
    *,
    first: int | None,
    after: Any = None,
    last: int | None = None,
    before: Any = None,
) -> Window[Row[Any]]:
    """The rows of ``stmt`` (ordered by the unique ``key``) strictly after ``after`` and before
    ``before``, the first ``first`` or else the last ``last`` of them (exactly one of the two
    is given, 0 or more)."""
    if (first is None) == (last is None):
        raise ValueError("keyset_window: expected exactly one of first and last")
    size = first if first is not None else last
    assert size is not None
    if size < 0:
        raise ValueError(f"keyset_window: expected a page size of 0 or more, got {size}")
    inside = stmt
    if after is not None:
        inside = inside.where(key > after)
    if before is not None:
        inside = inside.where(key < before)
    if first is not None:
        rows = list(await read(inside.order_by(key).limit(first + 1), {}))
        more_after = len(rows) > first
        more_before = after is not None and await _exists(read, stmt.where(key <= after))
        return Window(rows[:first], has_previous=more_before, has_next=more_after)
    assert last is not None
    rows = list(await read(inside.order_by(key.desc()).limit(last + 1), {}))
    more_before = len(rows) > last
    more_after = before is not None and await _exists(read, stmt.where(key >= before))
    return Window(list(reversed(rows[:last])), has_previous=more_before, has_next=more_after)


async def _exists(read: Reader, stmt: Select[Any]) -> bool:
    return bool(await read(stmt.limit(1), {}))
