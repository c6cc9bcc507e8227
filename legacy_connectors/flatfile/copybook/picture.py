"""PICTURE strings: what category a field is, how many digits, where the decimal point is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Picture", "PictureError", "parse_picture"]

Category = Literal["alphanumeric", "alphabetic", "numeric", "edited"]

_REPEAT = re.compile(r"(.)\((\d+)\)")
_EDIT_SYMBOLS = frozenset("Z*+-.,B0/$")


class PictureError(ValueError):
    """A PICTURE string the parser does not understand."""


@dataclass(frozen=True, slots=True)
class Picture:
    """A parsed PICTURE string.

    ``digits`` counts digit positions (``9``, and for edited pictures ``Z``, ``*`` and floating
    symbols); ``scale`` is the number of those digits after the decimal point, plus ``P``
    positions to the right of the point, minus ``P`` positions to the left of it (so a value is
    ``integer * 10 ** -scale``). ``size`` is the number of character positions in DISPLAY.
    """

    text: str
    expanded: str
    category: Category
    size: int
    digits: int
    scale: int
    signed: bool
    has_point: bool

    @property
    def is_decimal(self) -> bool:
        """True when values are ``Decimal`` (a ``V``, ``P`` or ``.`` in the picture)."""
        return self.has_point or "P" in self.expanded


def _expand(text: str) -> str:
    upper = text.upper()
    out = _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), upper)
    if "(" in out or ")" in out:
        raise PictureError(f"bad repeat count in PIC {text}")
    return out


def _numeric(text: str, body: str, signed: bool) -> Picture:
    point = body.find("V")
    if body.count("V") > 1:
        raise PictureError(f"more than one V in PIC {text}")
    left = body if point < 0 else body[:point]
    right = "" if point < 0 else body[point + 1 :]
    digits = body.count("9")
    if digits == 0:
        raise PictureError(f"PIC {text} has no digit positions")
    trailing_p = len(left) - len(left.rstrip("P")) if left.endswith("P") else 0
    leading_p = len(right) - len(right.lstrip("P")) if right.startswith("P") else 0
    if point < 0 and body.startswith("P"):
        leading_p = len(body) - len(body.lstrip("P"))
        trailing_p = 0
    scale = right.count("9") + leading_p - trailing_p
    if point < 0 and body.startswith("P"):
        scale = digits + leading_p
    return Picture(
        text=text,
        expanded=("S" if signed else "") + body,
        category="numeric",
        size=digits,
        digits=digits,
        scale=scale,
        signed=signed,
        has_point=point >= 0 or leading_p > 0,
    )


def _edited(text: str, body: str) -> Picture:
    size = len(body)
    work = body
    signed = False
    for pair in ("CR", "DB"):
        if work.endswith(pair):
            work = work[:-2]
            signed = True
    if "+" in work or "-" in work:
        signed = True
    point = work.find(".")
    if point < 0:
        point = work.find("V")
    digit_syms = "9Z*"
    float_sym = next((s for s in "+-$" if work.count(s) > 1), None)

    def count_digits(part: str) -> int:
        n = sum(part.count(s) for s in digit_syms)
        if float_sym is not None:
            n += part.count(float_sym)
        return n

    total = count_digits(work)
    if float_sym is not None:
        total -= 1
    scale = 0 if point < 0 else count_digits(work[point + 1 :])
    if "V" in work:
        size -= 1
    return Picture(
        text=text,
        expanded=body,
        category="edited",
        size=size,
        digits=total,
        scale=scale,
        signed=signed,
        has_point=point >= 0,
    )


def parse_picture(text: str) -> Picture:
    """Parse a PICTURE character string (without the ``PIC`` keyword)."""
    expanded = _expand(text)
    if not expanded:
        raise PictureError("empty PIC")
    if set(expanded) <= set("A"):
        return Picture(text, expanded, "alphabetic", len(expanded), 0, 0, False, False)
    if set(expanded) <= set("XA9") and ("X" in expanded or "A" in expanded):
        return Picture(text, expanded, "alphanumeric", len(expanded), 0, 0, False, False)
    signed = expanded.startswith("S")
    body = expanded[1:] if signed else expanded
    if set(body) <= set("9VP"):
        return _numeric(text, body, signed)
    if signed:
        if set(body) <= set("9.V") and body.count(".") == 1:
            edited = _edited(text, body)
            return Picture(
                text, "S" + body, "edited", edited.size, edited.digits, edited.scale, True, True
            )
        raise PictureError(f"S is only allowed with 9, V and one '.' in an edited PIC {text}")
    stripped = body[:-2] if body.endswith(("CR", "DB")) else body
    if set(stripped) <= set("9VP") | _EDIT_SYMBOLS and any(c in stripped for c in "9Z*+-$"):
        return _edited(text, body)
    bad = next(c for c in stripped if c not in set("9VP") | _EDIT_SYMBOLS)
    raise PictureError(f"PIC {text}: symbol {bad!r} is not supported")
