"""Who may read which citizen: checked before any upstream call is made."""

from __future__ import annotations

from typing import Any

from resolvers.errors import Forbidden, Unauthenticated

__all__ = ["check_citizen_access", "require_caseworker"]


def require_caseworker(principal: Any) -> None:
    """Only caseworkers, with a stated purpose, may look up citizens by id or list them."""
    if principal is None:
        raise Unauthenticated("sign in to use this field")
    if principal.role != "caseworker":
        raise Forbidden("only caseworkers may look up citizens")
    if not principal.purpose:
        raise Forbidden("a caseworker must state a purpose to look up a citizen")


def check_citizen_access(principal: Any, citizen_id: str) -> None:
    """Raise unless ``principal`` may read ``citizen_id``'s records."""
    if principal is None:
        raise Unauthenticated("sign in to see citizens' records")
    if principal.role == "citizen":
        if principal.citizen_id != citizen_id:
            raise Forbidden("you may only see your own records")
        return
    require_caseworker(principal)
