"""Reading global ids the API gave out (:mod:`govgraph.globalids`); a bad one is INVALID_ID."""

from __future__ import annotations

from govgraph.globalids import encode_id, split_id
from resolvers.errors import InvalidId

__all__ = ["decode_id", "encode_id"]


def decode_id(global_id: str) -> tuple[str, str, str | None]:
    """Return ``(type, citizen_id, local_key)`` or raise :class:`InvalidId`."""
    found = split_id(global_id)
    if found is None:
        raise InvalidId("the id is not valid")
    return found
