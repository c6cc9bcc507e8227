"""Identifiers departments share (NINO, passport, licence, VRM): a name, a format, a normal form.

A department declares which identifier its records are keyed by and which others they carry
(``IdentityMapping.key`` and ``identifiers``); records keyed by the same identifier belong to
one person for sure. A department may declare identifiers of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BUILTIN_IDENTIFIERS", "Identifier", "compact_vrm", "upper_compact"]


def upper_compact(value: str) -> str:
    """Upper case without spaces: ``ab 12 34 56 c`` -> ``AB123456C``."""
    return "".join(value.split()).upper()


def compact_vrm(value: str) -> str:
    """A registration mark with its one space before the last three characters."""
    compact = upper_compact(value)
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier: its name, what it is, its format once normalised."""

    name: str
    description: str
    pattern: str
    """A regular expression the normalised value must match in full."""
    normalise: Callable[[str], str] = str.strip

    def clean(self, value: object) -> str | None:
        """The normalised value, or ``None`` when it is blank or not of this format."""
        text = self.normalise(str(value)) if value is not None else ""
        return text if text and re.fullmatch(self.pattern, text) else None


BUILTIN_IDENTIFIERS: dict[str, Identifier] = {
    i.name: i
    for i in (
        Identifier(
            "nino",
            "National Insurance number",
            r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]",
            upper_compact,
        ),
        Identifier("passport", "passport number", r"\d{9}", upper_compact),
        Identifier("licence", "driving licence number", r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}"),
        Identifier(
            "vrm", "vehicle registration mark", r"[A-Z0-9]+ [A-Z0-9]{3}|[A-Z0-9]{1,3}", compact_vrm
        ),
    )
}
"""Identifiers every installation knows, by name."""
