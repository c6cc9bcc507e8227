"""A compact key -> record index: sorted fixed-width key bytes beside record offsets (numpy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.convert import field_decoder, is_text
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.copybook.model import Field

__all__ = ["KeyIndex", "KeyNormaliser", "key_normaliser"]

KeyNormaliser = Callable[[str], bytes | None]


def key_normaliser(node: Field, options: DecodeOptions) -> KeyNormaliser:
    """Turn a lookup key into the bytes the index holds for it (None: cannot match)."""
    if is_text(node):
        cp = code_page(options.encoding)
        size = node.size
        pad = bytes([cp.space])

        def text_key(key: str) -> bytes | None:
            try:
                raw = cp.encode(key.strip())
            except ValueError:
                return None
            return raw.ljust(size, pad) if len(raw) <= size else None

        return text_key

    def number_key(key: str) -> bytes | None:
        text = key.strip()
        if not text.lstrip("-").isdigit():
            return None
        return str(int(text)).encode("ascii")

    return number_key


def raw_to_number_keys(node: Field, options: DecodeOptions) -> Callable[[bytes], bytes | None]:
    """For numeric key fields: the raw field bytes to the index's ASCII digits."""
    decode = field_decoder(node, options)

    def convert(raw: bytes) -> bytes | None:
        try:
            value: Any = decode(raw, 0)
        except Exception:
            return None
        return None if value is None else str(int(value)).encode("ascii")

    return convert


@dataclass
class KeyIndex:
    """Sorted keys with, for each, the record's offset, length and number in the file."""

    keys: npt.NDArray[Any]
    offsets: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int32]
    numbers: npt.NDArray[np.int32]

    @classmethod
    def build(
        cls,
        keys: npt.NDArray[Any],
        offsets: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int32],
        numbers: npt.NDArray[np.int32],
    ) -> KeyIndex:
        """Sort by key (stable, so one key's records stay in file order)."""
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], offsets[order], lengths[order], numbers[order])

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def find(self, key: bytes) -> tuple[int, int]:
        """Positions [lo, hi) of the records for ``key``."""
        probe = np.array([key], dtype=self.keys.dtype)
        lo = int(np.searchsorted(self.keys, probe, side="left")[0])
        hi = int(np.searchsorted(self.keys, probe, side="right")[0])
        return lo, hi

    def find_many(self, keys: list[bytes]) -> tuple[list[int], list[int]]:
        """[lo, hi) position pairs for many keys at once."""
        if not keys or len(self) == 0:
            return [0] * len(keys), [0] * len(keys)
        probe = np.array(keys, dtype=self.keys.dtype)
        lo = np.searchsorted(self.keys, probe, side="left")
        hi = np.searchsorted(self.keys, probe, side="right")
        exact = self.keys[np.minimum(lo, len(self) - 1)] == probe
        hi = np.where(exact, hi, lo)
        return lo.tolist(), hi.tolist()

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays."""
        return int(
            self.keys.nbytes + self.offsets.nbytes + self.lengths.nbytes + self.numbers.nbytes
        )
