"""The arguments every cursor connection takes, described once."""

from __future__ import annotations

__all__ = ["AFTER_HELP", "BEFORE_HELP", "FIRST_HELP", "LAST_HELP"]

FIRST_HELP = (
    "Page size counted from the start (or from `after`), 0 to 100; 20 when neither `first` "
    "nor `last` is given. Not with `last`."
)
AFTER_HELP = "Cursor of the item the page starts after (the previous page's `endCursor`)."
LAST_HELP = (
    "Page size counted back from the end (or from `before`), 0 to 100, for paging backwards. "
    "Not with `first`."
)
BEFORE_HELP = "Cursor of the item the page ends before (the next page's `startCursor`)."
