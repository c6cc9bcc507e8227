"""What differs between two generations of a file, by key, from raw record bytes.

Nothing is decoded: both key indexes are already sorted, so keys only in the new generation,
keys only in the old one, and keys whose records' bytes differ (any record of the key, in file
order) come from a merge of the two indexes and one byte comparison per common key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_connectors.flatfile.files.dataset import Generation

__all__ = ["GenerationDiff", "diff_generations"]


class GenerationDiff:
    """Raw index keys (sorted) that were added or changed, and those removed."""

    def __init__(self, changed: list[bytes], removed: list[bytes]) -> None:
        self.changed = changed
        self.removed = removed

    def ordered(self) -> list[tuple[bytes, bool]]:
        """Every differing key in key order, with whether it was removed."""
        merged = [(key, False) for key in self.changed] + [(key, True) for key in self.removed]
        merged.sort(key=lambda item: item[0])
        return merged


def _groups(
    keys: npt.NDArray[Any], width: int
) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Unique keys (as ``S<width>``), the first position of each and its record count."""
    widened = keys.astype(f"S{width}")
    unique, first, counts = np.unique(widened, return_index=True, return_counts=True)
    return unique, first, counts


def _group_lengths(gen: Generation, first: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """The total record length of each key group starting at ``first``."""
    if not len(first):
        return np.zeros(0, np.int64)
    return np.add.reduceat(gen.index.lengths.astype(np.int64), first)


def diff_generations(old: Generation, new: Generation) -> GenerationDiff:
    """Keys whose records differ between ``old`` and ``new`` (both open)."""
    width = max(old.index.keys.dtype.itemsize, new.index.keys.dtype.itemsize, 1)
    old_keys, old_first, old_counts = _groups(old.index.keys, width)
    new_keys, new_first, new_counts = _groups(new.index.keys, width)
    common, in_old, in_new = np.intersect1d(
        old_keys, new_keys, assume_unique=True, return_indices=True
    )
    added = np.setdiff1d(new_keys, common, assume_unique=True)
    removed = np.setdiff1d(old_keys, common, assume_unique=True)
    changed: list[bytes] = [bytes(k) for k in added.tolist()]
    o_first, n_first = old_first[in_old], new_first[in_new]
    o_count, n_count = old_counts[in_old], new_counts[in_new]
    o_len = _group_lengths(old, old_first)[in_old]
    n_len = _group_lengths(new, new_first)[in_new]
    differ = (o_count != n_count) | (o_len != n_len)
    changed += [bytes(k) for k in common[differ].tolist()]
    same_shape = np.flatnonzero(~differ)
    o_offsets, o_lengths = old.index.offsets.tolist(), old.index.lengths.tolist()
    n_offsets, n_lengths = new.index.offsets.tolist(), new.index.lengths.tolist()
    old_read, new_read = old.read, new.read
    for i, lo_old, lo_new, count in zip(
        same_shape.tolist(),
        o_first[same_shape].tolist(),
        n_first[same_shape].tolist(),
        o_count[same_shape].tolist(),
        strict=True,
    ):
        for step in range(count):
            a, b = lo_old + step, lo_new + step
            if old_read(o_offsets[a], o_lengths[a]) != new_read(n_offsets[b], n_lengths[b]):
                changed.append(bytes(common[i]))
                break
    changed.sort()
    return GenerationDiff(changed, [bytes(k) for k in removed.tolist()])
