"""Fetching one citizen's records from a department's source, through the request's loaders.

Returns an empty list when the department holds nothing about the citizen (or its source is
not configured), and raises the source's typed error when the department cannot answer, so
that only the field asking for that department becomes null.
"""

from __future__ import annotations

import asyncio
from typing import Any

from resolvers.context import RequestContext

__all__ = ["load_source"]


async def load_source(ctx: RequestContext, citizen_id: str, source: str) -> list[Any]:
    """Every record ``source`` holds for the citizen, across all of its keys.

    Returns a list of results (a record, a list of records, or a :class:`PartialRecords`);
    raises the source's error if any key failed.
    """
    keys = await ctx.keys(citizen_id, source)
    loader = ctx.loader(source)
    if not keys or loader is None:
        return []
    ctx.note_access(citizen_id, source)
    if len(keys) == 1:
        results = [await loader.load(keys[0])]
    else:
        results = list(await asyncio.gather(*(loader.load(k) for k in keys)))
    return [r for r in results if r is not None]
