"""Options that change how values are decoded, shared by the decoder, encoder and index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["DecodeOptions", "TrimPolicy", "normal_name"]

TrimPolicy = Literal["none", "left", "right", "both"]


def normal_name(name: str) -> str:
    """A field name as the copybook spells it: upper case with ``-`` (``nino`` -> ``NINO``)."""
    return name.strip().upper().replace("_", "-")


@dataclass(frozen=True)
class DecodeOptions:
    """How to turn bytes into values."""

    encoding: str = "cp037"
    """Single-byte code page of text and zoned fields (``cp037``, ``cp285``, ``ascii``...)."""
    trim: TrimPolicy = "both"
    """Which spaces to remove from text fields."""
    date_fields: Mapping[str, str] = field(default_factory=dict)
    """Field name -> date layout (``YYMMDD``...); such fields decode to ``date`` or ``None``."""
    variable_size_occurs: bool = True
    """OCCURS DEPENDING ON arrays take only the space of their actual count, as COBOL writes
    them; False keeps every array at its maximum size (fixed offsets)."""

    comp5_endian: Literal["big", "little"] = "big"
    """Byte order of COMP-5 fields: ``big`` as on the mainframe, ``little`` for files that
    PC and Linux compilers (which store COMP-5 in native order) wrote."""
    condition_names: bool = False
    """Add ``<FIELD>_CONDITION`` beside each field with level-88 names: the name of the first
    condition its value meets (``CS_ACTIVE``), or None."""

    def date_format(self, name: str) -> str | None:
        """The date layout configured for a field name, if any."""
        if not self.date_fields:
            return None
        wanted = normal_name(name)
        for key, fmt in self.date_fields.items():
            if normal_name(key) == wanted:
                return fmt.upper()
        return None
