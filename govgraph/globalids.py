"""Opaque global ids: ``base64url("Type:citizen-id[:local-key]")``.

Every object id is scoped to the citizen it belongs to, so resolving an id always passes the
same access check as resolving that citizen. Schema types give ids out with :func:`encode_id`;
:func:`split_id` reads one back (``resolvers.ids.decode_id`` turns a bad one into an API error).
A support module with no imports of its own, so that both API packages can use it.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["MAX_ID_LENGTH", "encode_id", "split_id"]

MAX_ID_LENGTH = 512
"""Longest global id accepted."""


def encode_id(type_name: str, citizen_id: str, local_key: str | None = None) -> str:
    """The global id of ``type_name`` for ``citizen_id`` (and a key within that citizen)."""
    raw = (
        f"{type_name}:{citizen_id}"
        if local_key is None
        else f"{type_name}:{citizen_id}:{local_key}"
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def split_id(global_id: object) -> tuple[str, str, str | None] | None:
    """``(type, citizen_id, local_key)`` of a global id, or ``None`` when it is not one."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > MAX_ID_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, rest = raw.partition(":")
    if not sep or not type_name.isidentifier() or not rest:
        return None
    citizen_id, sep, local_key = rest.partition(":")
    if not citizen_id:
        return None
    return type_name, citizen_id, (local_key if sep else None)
