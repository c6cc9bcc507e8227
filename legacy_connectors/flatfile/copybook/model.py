"""The parsed copybook: a tree of fields with their storage, offsets and sizes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from legacy_connectors.flatfile.copybook.picture import Picture

__all__ = ["Copybook", "Field", "Usage", "storage_size", "wide_binary_size"]


class Usage(StrEnum):
    """How a field's value is stored."""

    DISPLAY = "DISPLAY"
    BINARY = "COMP"
    """Big-endian two's complement, size by digits (COMP, COMP-0, COMP-4, BINARY)."""
    NATIVE_BINARY = "COMP-5"
    """Big-endian binary whose value is not limited by the picture's digits."""
    BINARY_LE = "COMP-9"
    """Little-endian binary (as some non-IBM compilers write it)."""
    PACKED = "COMP-3"
    FLOAT = "COMP-1"
    DOUBLE = "COMP-2"


def storage_size(usage: Usage, picture: Picture | None, sign_separate: bool) -> int:
    """Bytes one elementary item occupies."""
    if usage is Usage.FLOAT:
        return 4
    if usage is Usage.DOUBLE:
        return 8
    assert picture is not None
    if usage is Usage.DISPLAY:
        extra = 1 if sign_separate and picture.category == "numeric" else 0
        return picture.size + extra
    if usage is Usage.PACKED:
        return picture.digits // 2 + 1
    digits = picture.digits
    if digits <= 4:
        return 2
    if digits <= 9:
        return 4
    if digits <= 18:
        return 8
    return wide_binary_size(digits)


def wide_binary_size(digits: int) -> int:
    """Bytes of a binary item of more than 18 digits: the fewest whose two's complement holds
    every value of that many digits, as Micro Focus COBOL and Cobrix store them (19-21 digits
    in 9 bytes, 22-23 in 10, ... 27-28 in 12, ... 37-38 in 16)."""
    size = 1
    while 2 ** (8 * size - 1) < 10**digits:
        size += 1
    return size


@dataclass(eq=False)
class Field:
    """One data description entry: a group (with ``children``) or an elementary item."""

    level: int
    name: str
    line: int
    column: int
    picture: Picture | None = None
    source: str = ""
    """File the entry was read from (the copybook or a COPY member); may be empty."""
    usage: Usage | None = None
    sign_leading: bool | None = None
    sign_separate: bool = False
    occurs: int | None = None
    occurs_min: int | None = None
    depending_on: str | None = None
    redefines: str | None = None
    value: Any = None
    conditions: dict[str, list[Any]] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)
    parent: Field | None = field(default=None, repr=False)
    offset: int = 0
    """Offset from the start of the record, with every OCCURS at its maximum."""
    size: int = 0
    """Bytes of one occurrence (of the whole item when it has no OCCURS)."""
    in_redefines: bool = False
    """True when this item, or a group above it, is a REDEFINES alternative or is redefined."""

    @property
    def is_group(self) -> bool:
        """True for a group item (one with children and no PICTURE)."""
        return self.picture is None and self.usage not in (Usage.FLOAT, Usage.DOUBLE)

    @property
    def is_filler(self) -> bool:
        """True for an unnamed item (``FILLER`` or no name)."""
        return self.name.upper() == "FILLER"

    @property
    def key(self) -> str:
        """The name as records use it: ``-`` turned into ``_``."""
        return self.name.replace("-", "_")

    @property
    def total_size(self) -> int:
        """Bytes of every occurrence, at the maximum OCCURS."""
        return self.size * (self.occurs or 1)

    @property
    def type_name(self) -> str:
        """A short description of the storage: ``X(10)``, ``S9(7)V99 COMP-3``, ``COMP-2``."""
        if self.is_group:
            return "GROUP"
        usage = self.usage or Usage.DISPLAY
        pic = self.picture.text if self.picture else ""
        if usage is Usage.DISPLAY:
            sign = ""
            if self.picture and self.picture.signed and self.picture.category == "numeric":
                where = "LEADING" if self.sign_leading else "TRAILING"
                sign = f" SIGN {where}{' SEPARATE' if self.sign_separate else ''}"
            return f"{pic}{sign}"
        return f"{pic} {usage.value}".strip()

    def walk(self) -> Iterator[Field]:
        """This field and every field below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def path(self) -> str:
        """Dotted path of names from the 01 level down."""
        names = []
        node: Field | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return ".".join(reversed(names))


@dataclass
class Copybook:
    """Every 01-level record (and level-77 item) of a copybook, plus parser warnings."""

    records: list[Field]
    warnings: list[str] = field(default_factory=list)

    def find(self, name: str) -> Field:
        """The first field called ``name`` (``-`` and ``_`` alike, any case), depth first."""
        wanted = name.upper().replace("_", "-")
        for record in self.records:
            for node in record.walk():
                if node.name.upper() == wanted:
                    return node
        known = ", ".join(r.name for r in self.records)
        raise KeyError(f"no field {name!r} in the copybook (records: {known})")

    def record(self, name: str | None = None) -> Field:
        """The 01-level record (or any group) called ``name``; the first record when None."""
        if name is None:
            return self.records[0]
        return self.find(name)
