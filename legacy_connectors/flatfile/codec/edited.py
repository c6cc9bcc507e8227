"""Numeric-edited pictures (``ZZ,ZZ9.99-``, ``+++9``, ``$$$9.99CR``) as report files print them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from legacy_connectors.flatfile.copybook.picture import Picture
from legacy_connectors.flatfile.errors import FieldDecodeError

__all__ = ["format_edited", "parse_edited"]

_ALLOWED = frozenset("0123456789 .,+-*$/B")


def parse_edited(text: str, picture: Picture) -> Any:
    """The number an edited field shows: ``int``, or ``Decimal`` when the picture has a point."""
    if not text.strip() or not text.strip(" \x00"):
        return None
    body = text.strip()
    negative = False
    if picture.expanded.startswith("S") and body:
        body, negative = _unpunch(body)
    for mark in ("CR", "DB"):
        if body.upper().endswith(mark):
            body = body[:-2]
            negative = True
    if any(c not in _ALLOWED for c in body):
        raise FieldDecodeError("unexpected character in a numeric-edited field")
    if "-" in body:
        negative = True
    digits = "".join(c for c in body if c.isdigit() or c == ".")
    if "." not in picture.expanded and "." in digits:
        raise FieldDecodeError("decimal point in a numeric-edited field without one")
    if not digits.strip(".") and "0" not in body:
        digits = "0"
    try:
        number = Decimal(digits or "0")
    except InvalidOperation as exc:
        raise FieldDecodeError("unreadable numeric-edited value") from exc
    if "V" in picture.expanded:
        number = number.scaleb(-picture.scale)
    if negative:
        number = -number
    if picture.is_decimal:
        if "." in picture.expanded or "V" in picture.expanded:
            return number.quantize(Decimal(1).scaleb(-picture.scale))
        return number
    return int(number)


_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"


def _unpunch(body: str) -> tuple[str, bool]:
    """Undo a sign overpunched on the last digit (``12.3J`` is -12.31)."""
    last = body[-1]
    if last in _POSITIVE:
        return body[:-1] + str(_POSITIVE.index(last)), False
    if last in _NEGATIVE:
        return body[:-1] + str(_NEGATIVE.index(last)), True
    if "p" <= last <= "y":
        return body[:-1] + str(ord(last) - ord("p")), True
    return body, False


def format_edited(value: Any, picture: Picture) -> str:
    """Print ``value`` the way the edited picture would (zero suppression, floating symbols)."""
    if picture.expanded.startswith("S"):
        plain = Picture(
            picture.text,
            picture.expanded[1:],
            "edited",
            picture.size,
            picture.digits,
            picture.scale,
            False,
            True,
        )
        text = format_edited(abs(Decimal(value)), plain)
        table = _NEGATIVE if Decimal(value) < 0 else _POSITIVE
        return text[:-1] + table[int(text[-1])]
    pattern = picture.expanded
    tail = ""
    if pattern.endswith(("CR", "DB")):
        tail, pattern = pattern[-2:], pattern[:-2]
    number = Decimal(value)
    negative = number < 0
    scaled = abs(number).scaleb(picture.scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {picture.scale} decimal places")
    digits = str(int(scaled)).rjust(picture.digits, "0")
    if len(digits) > picture.digits:
        raise ValueError(f"{value} does not fit in PIC {picture.text}")
    floating = next((s for s in "+-$" if pattern.count(s) > 1), None)
    first_float = pattern.find(floating) if floating else -1
    out: list[str] = []
    started = False
    fill = "*" if "*" in pattern else " "
    di = 0
    float_pending = floating is not None
    for pos, c in enumerate(pattern):
        if c == "V":
            continue
        is_float_digit = floating is not None and c == floating and pos != first_float
        if c in "9Z*" or is_float_digit:
            d = digits[di]
            di += 1
            if c == "9" or started or d != "0":
                if float_pending:
                    _place_symbol(out, floating or "", negative)
                    float_pending = False
                started = True
                out.append(d)
            else:
                out.append(fill if c == "*" else " ")
        elif floating is not None and pos == first_float:
            out.append(" ")
        elif c == ".":
            if float_pending:
                _place_symbol(out, floating or "", negative)
                float_pending = False
            started = True
            out.append(".")
        elif c in ",/0B":
            out.append({"B": " "}.get(c, c) if started else fill if fill == "*" else " ")
        elif c == "+":
            out.append("-" if negative else "+")
        elif c == "-":
            out.append("-" if negative else " ")
        elif c == "$":
            out.append("$")
        else:
            out.append(c)
    if float_pending:
        _place_symbol(out, floating or "", negative)
    if tail:
        out.append(tail if negative else "  ")
    return "".join(out)


def _place_symbol(out: list[str], symbol: str, negative: bool) -> None:
    char = {"+": "-" if negative else "+", "-": "-" if negative else " ", "$": "$"}[symbol]
    for i in range(len(out) - 1, -1, -1):
        if out[i] == " ":
            out[i] = char
            return
    out.insert(0, char)
