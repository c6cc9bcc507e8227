"""Counts in words for people to read: ``1 pair``, ``2 pairs``, ``1 person``."""

from __future__ import annotations

__all__ = ["count"]

_IRREGULAR = {"person": "people"}


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is one (``count(1, "pair") == "1 pair"``)."""
    if n == 1:
        return f"{n} {noun}"
    *head, last = noun.split(" ")
    plural = _IRREGULAR.get(last, last + "s")
    return f"{n} {' '.join([*head, plural])}"
