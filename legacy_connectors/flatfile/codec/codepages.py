"""Code pages: which single-byte codec a file uses and the byte values that matter to decoding."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache

import ebcdic  # noqa: F401 - registers cp1047, cp285, cp1146 and the other EBCDIC codecs

from legacy_connectors.errors import ConfigurationError

__all__ = ["CodePage", "code_page"]

_ALIASES = {"ascii": "latin-1", "us-ascii": "latin-1", "ebcdic": "cp037"}


@dataclass(frozen=True, slots=True)
class CodePage:
    """A single-byte code page and the bytes of the characters numeric fields use."""

    name: str
    codec: str
    is_ebcdic: bool
    space: int
    plus: int
    minus: int
    digits: bytes
    """The ten bytes of ``0``..``9``."""

    def decode(self, data: bytes) -> str:
        """Bytes to text (never fails: every byte maps to a character)."""
        return data.decode(self.codec, errors="replace")

    def encode(self, text: str) -> bytes:
        """Text to bytes; a character the code page lacks is an error naming it."""
        try:
            return text.encode(self.codec)
        except UnicodeEncodeError as exc:
            bad = text[exc.start : exc.end]
            raise ValueError(f"character {bad!r} is not in code page {self.name}") from exc


_IBM_NAME = re.compile(r"^(?:ibm|cp|ccsid|ebcdic)?[-_ ]?0*(\d{2,5})$")


def _codec_name(wanted: str) -> str:
    if wanted in _ALIASES:
        return _ALIASES[wanted]
    match = _IBM_NAME.match(wanted)
    if match:
        number = int(match.group(1))
        return f"cp{number:03d}"
    return wanted


@cache
def code_page(name: str) -> CodePage:
    """Look up a code page by name: ``cp037``, ``IBM-1047``, ``ccsid 285``, ``1140``, ``ascii``."""
    wanted = name.strip().lower()
    codec = _codec_name(wanted)
    try:
        info = codecs.lookup(codec)
    except LookupError as exc:
        raise ConfigurationError(f"encoding {name!r} is not a known code page") from exc
    sample = bytes(range(256)).decode(info.name, errors="replace")
    pairs = bytes(b for hi in range(0x80, 0x100) for b in (hi, 0x41)) + b"\xc3\xa9\xe2\x82\xac"
    if len(sample) != 256 or len(pairs.decode(info.name, errors="replace")) != len(pairs):
        raise ConfigurationError(f"encoding {name!r} is not a single-byte code page")
    digits = "0123456789".encode(info.name)
    return CodePage(
        name=wanted,
        codec=info.name,
        is_ebcdic=digits[0] == 0xF0,
        space=" ".encode(info.name)[0],
        plus="+".encode(info.name)[0],
        minus="-".encode(info.name)[0],
        digits=digits,
    )
