"""One generation of a file, loaded: framed, checked against its trailer, indexed by key.

Loading maps the file, finds every record's span, picks out the data records by their segment
value, and gathers only the key field's bytes (vectorised with numpy) into a sorted index.
Decoding whole records happens later, only for the keys asked for.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import is_text
from legacy_connectors.flatfile.copybook.model import Field
from legacy_connectors.flatfile.errors import FileIntegrityError
from legacy_connectors.flatfile.files.framing import Framing, Spans, detect_framing, record_spans
from legacy_connectors.flatfile.files.keyindex import KeyIndex, raw_to_number_keys
from legacy_connectors.flatfile.files.trailer import check_file, pick, static_offset
from legacy_connectors.flatfile.schema import FileSchema
from legacy_connectors.flatfile.settings import FlatFileSettings

__all__ = ["Fingerprint", "Generation", "fingerprint", "load_generation"]

Fingerprint = tuple[str, int, int, int]


def fingerprint(path: Path) -> Fingerprint:
    """(name, inode, size, mtime) — changes when a file is replaced or rewritten."""
    st = path.stat()
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class Generation:
    """A loaded, validated file ready to serve records by key."""

    path: Path
    print: Fingerprint
    framing: Framing
    index: KeyIndex
    record_count: int
    data_count: int
    header: dict[str, Any] | None
    trailer: dict[str, Any] | None
    bad_records: set[int] = field(default_factory=set)
    unkeyed: int = 0
    damaged: list[str] = field(default_factory=list)
    users: int = 0
    retired: bool = False
    _mm: mmap.mmap | None = None
    _fd: int | None = None

    def read(self, offset: int, length: int) -> bytes:
        """The bytes of one record."""
        assert self._mm is not None
        return self._mm[offset : offset + length]

    def spans(self) -> Spans:
        """Every record's span (re-walks the framing; used by scans)."""
        assert self._mm is not None
        return record_spans(self._mm, self.framing)

    def close(self) -> None:
        """Unmap and close the file (safe to call twice)."""
        if self._mm is not None:
            self._mm.close()
            self._mm = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _gather(
    buf: npt.NDArray[np.uint8], offs: npt.NDArray[np.int64], start: int, size: int
) -> npt.NDArray[Any]:
    idx = offs[:, None] + (start + np.arange(size, dtype=np.int64))[None, :]
    rows = np.ascontiguousarray(buf[idx])
    return rows.view(f"S{size}").reshape(-1)


class _Loader:
    def __init__(
        self, path: Path, schema: FileSchema, settings: FlatFileSettings, *, checked: bool = True
    ) -> None:
        self.path = path
        self.schema = schema
        self.settings = settings
        self.checked = checked

    def load(self) -> Generation:
        fd = os.open(self.path, os.O_RDONLY)
        mm: mmap.mmap | None = None
        try:
            st = os.fstat(fd)
            print_ = (str(self.path), st.st_ino, st.st_size, st.st_mtime_ns)
            if st.st_size == 0:
                raise FileIntegrityError(f"{self.path.name} is empty")
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            gen = self._build(mm, print_)
            gen._mm, gen._fd = mm, fd
            return gen
        except BaseException:
            if mm is not None:
                with contextlib.suppress(BufferError):
                    mm.close()
            os.close(fd)
            raise

    def _framing(self, mm: mmap.mmap) -> Framing:
        s = self.settings
        lrecl = s.lrecl or max(r.size for r in self.schema.roots.values())
        return detect_framing(
            mm,
            s.recfm,
            lrecl=lrecl,
            endian=s.rdw_endian,
            rdw_includes_header=s.rdw_includes_header,
            bdw_includes_header=s.bdw_includes_header,
        )

    def _build(self, mm: mmap.mmap, print_: Fingerprint) -> Generation:
        framing = self._framing(mm)
        spans = record_spans(mm, framing)
        if spans.problem is not None:
            raise FileIntegrityError(f"{self.path.name}: {spans.problem} ({framing.describe()})")
        buf = np.frombuffer(mm, dtype=np.uint8)
        offs = np.frombuffer(spans.offsets, dtype=np.int64)
        lens = np.array(spans.lengths, dtype=np.int32)
        numbers = np.arange(1, len(offs) + 1, dtype=np.int32)
        layouts = self._layouts(buf, offs, lens)
        parts, data_count, bad, unkeyed = self._keys(buf, offs, lens, numbers, layouts)
        del buf
        keys = np.concatenate([p[0] for p in parts]) if parts else np.array([], dtype="S1")
        index = KeyIndex.build(
            keys,
            np.concatenate([p[1] for p in parts]) if parts else np.array([], np.int64),
            np.concatenate([p[2] for p in parts]) if parts else np.array([], np.int32),
            np.concatenate([p[3] for p in parts]) if parts else np.array([], np.int32),
        )
        gen = Generation(
            self.path,
            print_,
            framing,
            index,
            len(offs),
            data_count,
            None,
            None,
            bad,
            unkeyed,
            list(spans.damaged),
        )
        gen._mm = mm
        try:
            if self.checked:
                check_file(gen, spans, layouts, self.schema, self.settings)
        finally:
            gen._mm = None
        return gen

    def _layouts(
        self, buf: npt.NDArray[np.uint8], offs: npt.NDArray[np.int64], lens: npt.NDArray[np.int32]
    ) -> npt.NDArray[np.int16]:
        """Per record: index into ``schema.data_layouts``, -1 other known type, -2 unknown."""
        schema = self.schema
        out = np.full(len(offs), 0, dtype=np.int16)
        if schema.segment is None:
            return out
        off, size = schema.segment
        out[:] = -2
        ok = lens >= off + size
        seg = np.full(len(offs), b"", dtype=f"S{size}")
        seg[ok] = _gather(buf, offs[ok], off, size)
        for raw, name in schema.by_segment.items():
            code = schema.data_layouts.index(name) if name in schema.data_layouts else -1
            out[seg == np.array(raw, dtype=f"S{size}")] = code
        return out

    def _keys(
        self,
        buf: npt.NDArray[np.uint8],
        offs: npt.NDArray[np.int64],
        lens: npt.NDArray[np.int32],
        numbers: npt.NDArray[np.int32],
        layouts: npt.NDArray[np.int16],
    ) -> tuple[list[tuple[Any, ...]], int, set[int], int]:
        parts: list[tuple[Any, ...]] = []
        bad: set[int] = {int(n) for n in numbers[layouts == -2]}
        data_count = 0
        unkeyed = 0
        for code, name in enumerate(self.schema.data_layouts):
            mask = layouts == code
            data_count += int(mask.sum())
            node = self.schema.field(name, self.settings.key_field)
            root = self.schema.roots[name]
            variable = self.settings.variable_size_occurs
            fits = mask & (lens >= node.offset + node.size)
            bad.update(int(n) for n in numbers[mask & ~fits])
            o, ln, nums = offs[fits], lens[fits], numbers[fits]
            if static_offset(root, node, variable) and is_text(node):
                keys = _gather(buf, o, node.offset, node.size)
            else:
                keys = self._decoded_keys(name, node, root, buf, o, ln)
            blank = self._blank(keys, node)
            unkeyed += int(blank.sum())
            keep = ~blank
            parts.append((keys[keep], o[keep], ln[keep], nums[keep]))
        return parts, data_count, bad, unkeyed

    def _blank(self, keys: npt.NDArray[Any], node: Field) -> npt.NDArray[np.bool_]:
        blank: npt.NDArray[np.bool_] = keys == b""
        if not is_text(node):
            return blank
        space = bytes([code_page(self.schema.options.encoding).space]) * node.size
        spaces: npt.NDArray[np.bool_] = keys == np.array(space, dtype=keys.dtype)
        return spaces | blank

    def _decoded_keys(
        self,
        name: str,
        node: Field,
        root: Field,
        buf: npt.NDArray[np.uint8],
        offs: npt.NDArray[np.int64],
        lens: npt.NDArray[np.int32],
    ) -> npt.NDArray[Any]:
        schema = self.schema
        convert = raw_to_number_keys(node, schema.options)
        static = static_offset(root, node, self.settings.variable_size_occurs)
        raw_keys: list[bytes] = []
        mm = buf.data
        for o, n in zip(offs.tolist(), lens.tolist(), strict=True):
            if static:
                raw = bytes(mm[o + node.offset : o + node.offset + node.size])
                key = convert(raw) if not is_text(node) else raw
            else:
                values = schema.decode(bytes(mm[o : o + n]), "null_fields", name)[1]
                value = pick(values, node)
                key = None if value is None else str(value).encode("ascii", "replace")
            raw_keys.append(key or b"")
        width = max((len(k) for k in raw_keys), default=1) or 1
        return np.array(raw_keys, dtype=f"S{width}")


def load_generation(
    path: Path, schema: FileSchema, settings: FlatFileSettings, *, checked: bool = True
) -> Generation:
    """Load and validate one file; :class:`FileIntegrityError` if it must not be served.

    ``checked=False`` leaves out the trailer's count and hash total (the framing is still
    checked): for a generation already checked when it was served, read again only to be
    compared with a newer one by the change feed."""
    return _Loader(path, schema, settings, checked=checked).load()
