"""Opaque global ids: ``base64url("Type:citizen-id[:local-key]")``.

Every object id is scoped to the citizen it belongs to, so resolving an id always passes the
same access check as resolving that citizen.
"""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import InvalidId

__all__ = ["decode_id", "encode_id"]

_MAX_ID_LENGTH = 512


def encode_id(type_name: str, citizen_id: str, local_key: str | None = None) -> str:
    raw = (
        f"{type_name}:{citizen_id}"
        if local_key is None
        else f"{type_name}:{citizen_id}:{local_key}"
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_id(global_id: str) -> tuple[str, str, str | None]:
    """Return ``(type, citizen_id, local_key)`` or raise :class:`InvalidId`."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > _MAX_ID_LENGTH:
        raise InvalidId("the id is not valid")
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidId("the id is not valid") from exc
    type_name, sep, rest = raw.partition(":")
    if not sep or not type_name.isidentifier() or not rest:
        raise InvalidId("the id is not valid")
    citizen_id, sep, local_key = rest.partition(":")
    if not citizen_id:
        raise InvalidId("the id is not valid")
    return type_name, citizen_id, (local_key if sep else None)
