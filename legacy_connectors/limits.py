"""``FieldLimit``: what one payload field of a write command can hold at its receiver.

Each kind derives its commands' limits from the receiver's own definitions, never from a
second copy kept by hand: a flat file's from the copybook (``PIC X(n)``, ``OCCURS``) and its
code page, a SQL table's from its reflected column lengths, a SOAP service's from the XSD
(``maxLength``, ``pattern``, ``minOccurs``/``maxOccurs``, XML's own character range). A caller
checks a value with :meth:`FieldLimit.problem` before it sends anything, so that a value the
receiver cannot hold is refused up front rather than cut short or replaced by ``?``; the
writers refuse such a value too (``InvalidInputError``), should one ever reach them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["BMP_CHARSET", "XML_CHARSET", "FieldLimit", "unencodable"]

XML_CHARSET = "xml"
"""``charset`` of text carried in XML 1.0: any character XML's ``Char`` production allows."""

BMP_CHARSET = "bmp"
"""``charset`` of a store that holds only the Basic Multilingual Plane (MySQL's ``utf8mb3``)."""

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def unencodable(text: str, charset: str) -> list[str]:
    """The distinct characters of ``text`` that ``charset`` cannot hold, in order."""
    if charset == XML_CHARSET:
        bad = _XML_CHAR.findall(text)
    elif charset == BMP_CHARSET:
        bad = _ASTRAL.findall(text)
    else:
        encoder = codecs.getincrementalencoder(charset)()
        bad = []
        for char in text:
            try:
                encoder.encode(char)
            except UnicodeEncodeError:
                bad.append(char)
    return list(dict.fromkeys(bad))


@dataclass(frozen=True, slots=True)
class FieldLimit:
    """What the receiver of a command can hold in one payload field."""

    path: str
    """Payload field (dotted; ``address.lines`` is a list, ``address.lines.0`` its first item)."""
    max_length: int | None = None
    """Most characters the receiver holds (per item, for a list)."""
    charset: str | None = None
    """Python codec every character must encode in (e.g. ``cp037``), :data:`XML_CHARSET` or
    :data:`BMP_CHARSET`."""
    pattern: str | None = None
    """Regular expression the whole value must match."""
    max_items: int | None = None
    """For a list: most items the receiver holds."""
    required: bool = False
    """The receiver needs a non-empty value."""
    origin: str = ""
    """Where the limit comes from (e.g. ``ADDRCHG.cpy POST-TOWN PIC X(25)``), for messages."""

    def problem(self, value: str) -> str | None:
        """Why ``value`` cannot be held, as a phrase ("must be 25 characters or fewer"), or
        ``None``. Never quotes the value, only characters it cannot hold."""
        if self.required and not value:
            return "is required"
        if self.max_length is not None and len(value) > self.max_length:
            return f"must be {self.max_length} characters or fewer"
        if self.charset is not None:
            bad = unencodable(value, self.charset)
            if bad:
                shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in bad[:5])
                return f"cannot hold {shown}"
        if self.pattern is not None and value and re.fullmatch(self.pattern, value) is None:
            return "is not in the form it takes"
        return None
