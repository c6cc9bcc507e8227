"""Record framing: where each record starts and how long it is, for F/FB, V, VB and D files.

V records start with a record descriptor word (RDW): a 2-byte length and 2 zero bytes. VB files
group records in blocks, each led by a block descriptor word (BDW) of the same shape. Files
from the wild differ in whether the length counts the 4 header bytes and in byte order
(``big``: length in bytes 0-1 big-endian; ``little``: length in bytes 2-3 little-endian, the
whole word byte-swapped); :func:`detect_framing` finds out unless told.
"""

from __future__ import annotations

import mmap
import struct
from array import array
from dataclasses import dataclass, field, replace
from typing import Literal

from legacy_connectors.flatfile.errors import FileIntegrityError

__all__ = ["Framing", "RecordFormat", "Spans", "detect_framing", "record_spans"]

RecordFormat = Literal["F", "FB", "V", "VB", "D"]
Endian = Literal["big", "little"]
_SAMPLE_RECORDS = 2000
Buffer = bytes | bytearray | memoryview | mmap.mmap


@dataclass(frozen=True, slots=True)
class Framing:
    """How records are laid out in one file."""

    recfm: RecordFormat
    lrecl: int | None = None
    endian: Endian = "big"
    rdw_includes_header: bool = True
    bdw_includes_header: bool = True

    def describe(self) -> str:
        """Human-readable summary, for health and error messages."""
        if self.recfm in ("F", "FB"):
            return f"RECFM={self.recfm} LRECL={self.lrecl}"
        if self.recfm == "D":
            return "RECFM=D (text lines)"
        rdw = "counts" if self.rdw_includes_header else "excludes"
        text = f"RECFM={self.recfm} {self.endian}-endian, RDW length {rdw} its 4 bytes"
        if self.recfm == "VB":
            bdw = "counts" if self.bdw_includes_header else "excludes"
            text += f", BDW length {bdw} its 4 bytes"
        return text


@dataclass(slots=True)
class Spans:
    """Start offset and length of each record, and the framing problem that stopped reading."""

    offsets: array[int]
    lengths: array[int]
    problem: str | None = None
    damaged: list[str] = field(default_factory=list)
    """VB blocks whose records could not all be read (bad RDW inside a sound block): the
    records before the damage are kept, the rest of that block is skipped."""


_BIG = struct.Struct(">HH")
_LITTLE = struct.Struct("<HH")


def _word(data: Buffer, pos: int, endian: Endian, extended: bool) -> int | None:
    if endian == "big":
        n, zero = _BIG.unpack_from(data, pos)
        if extended and n & 0x8000:
            return int(((n & 0x7FFF) << 16) | zero)
        return int(n) if zero == 0 else None
    zero, n = _LITTLE.unpack_from(data, pos)
    return int(n) if zero == 0 else None


def _walk_v(data: Buffer, start: int, end: int, f: Framing, spans: Spans, limit: int) -> int:
    """Read RDW records in ``data[start:end]``; return where reading stopped."""
    pos = start
    adjust = 4 if f.rdw_includes_header else 0
    offsets, lengths = spans.offsets, spans.lengths
    unpack = (_BIG if f.endian == "big" else _LITTLE).unpack_from
    big = f.endian == "big"
    room = limit - len(offsets)
    while pos < end and room > 0:
        if pos + 4 > end:
            spans.problem = f"truncated record descriptor word at byte offset {pos}"
            return pos
        a, b = unpack(data, pos)
        n, zero = (a, b) if big else (b, a)
        length = n - adjust
        if zero or length <= 0:
            spans.problem = f"bad record descriptor word at byte offset {pos}"
            return pos
        nxt = pos + 4 + length
        if nxt > end:
            spans.problem = (
                f"record at byte offset {pos} claims {length} bytes but only "
                f"{end - pos - 4} remain (truncated mid-record)"
            )
            return pos
        offsets.append(pos + 4)
        lengths.append(length)
        pos = nxt
        room -= 1
    return pos


def _walk_vb(data: Buffer, size: int, f: Framing, limit: int) -> Spans:
    spans = Spans(array("q"), array("l"))
    pos = 0
    adjust = 0 if f.bdw_includes_header else 4
    while pos < size and len(spans.offsets) < limit:
        if pos + 4 > size:
            spans.problem = f"truncated block descriptor word at byte offset {pos}"
            break
        n = _word(data, pos, f.endian, True)
        if n is None or n + adjust <= 4:
            spans.problem = f"bad block descriptor word at byte offset {pos}"
            break
        block_end = pos + n + adjust
        if block_end > size:
            spans.problem = (
                f"block at byte offset {pos} claims {n + adjust} bytes but only "
                f"{size - pos} remain (truncated mid-block)"
            )
            break
        stop = _walk_v(data, pos + 4, block_end, f, spans, limit)
        if len(spans.offsets) >= limit:
            break
        if spans.problem is not None or stop != block_end:
            reason = spans.problem or "records overrun the block"
            spans.problem = None
            spans.damaged.append(f"block at byte offset {pos}: {reason}")
        pos = block_end
    return spans


def _walk_d(data: Buffer, size: int) -> Spans:
    spans = Spans(array("q"), array("l"))
    raw = bytes(data)
    pos = 0
    while pos < size:
        nl = raw.find(b"\n", pos)
        stop = size if nl < 0 else nl
        length = stop - pos
        if length and raw[stop - 1 : stop] == b"\r":
            length -= 1
        if length or nl < 0:
            spans.offsets.append(pos)
            spans.lengths.append(length)
        pos = stop + 1
    return spans


def record_spans(data: Buffer, framing: Framing, limit: int | None = None) -> Spans:
    """Every record's (offset, length); ``problem`` says why reading stopped early, if it did."""
    size = len(data)
    cap = limit if limit is not None else size + 1
    if framing.recfm in ("F", "FB"):
        lrecl = framing.lrecl
        if not lrecl:
            raise FileIntegrityError("RECFM=F/FB needs a record length (lrecl)")
        count = min(size // lrecl, cap)
        spans = Spans(array("q", range(0, count * lrecl, lrecl)), array("l", [lrecl]) * count)
        if size % lrecl and count == size // lrecl:
            spans.problem = (
                f"file size {size} is not a multiple of LRECL {lrecl}: the last record is "
                f"truncated at byte offset {count * lrecl}"
            )
        return spans
    if framing.recfm == "D":
        return _walk_d(data, size)
    if framing.recfm == "V":
        spans = Spans(array("q"), array("l"))
        _walk_v(data, 0, size, framing, spans, cap)
        return spans
    return _walk_vb(data, size, framing, cap)


def detect_framing(
    data: Buffer,
    recfm: RecordFormat,
    *,
    lrecl: int | None = None,
    endian: Literal["auto", "big", "little"] = "auto",
    rdw_includes_header: bool | None = None,
    bdw_includes_header: bool | None = None,
) -> Framing:
    """Choose the RDW/BDW conventions that read the start of ``data`` cleanly."""
    base = Framing(recfm=recfm, lrecl=lrecl)
    if recfm not in ("V", "VB"):
        return base
    endians: list[Endian] = ["big", "little"] if endian == "auto" else [endian]
    rdws = [True, False] if rdw_includes_header is None else [rdw_includes_header]
    bdws = [True, False] if bdw_includes_header is None else [bdw_includes_header]
    if recfm == "V":
        bdws = [True]
    best: tuple[int, Framing] | None = None
    for e in endians:
        for rdw in rdws:
            for bdw in bdws:
                candidate = replace(
                    base, endian=e, rdw_includes_header=rdw, bdw_includes_header=bdw
                )
                spans = record_spans(data, candidate, limit=_SAMPLE_RECORDS)
                clean = spans.problem is None
                score = len(spans.offsets) * 2 + (1 if clean else 0) - 4 * len(spans.damaged)
                if best is None or score > best[0]:
                    best = (score, candidate)
    assert best is not None
    return best[1]
