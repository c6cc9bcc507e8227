"""Each node variant's comparison features as one Arrow table, and comparison vectors as codes.

Normalising a record is per-record work and stays in Python (:class:`Identity` does it once);
what the SQL engines receive is one row per variant with everything a pair comparison reads:
names, name forms, date parts, address parts, and what a driving licence number encodes. A
comparison vector travels as one integer (:func:`pattern_code`), and the model's weights as a
table of codes, computed in Python so every engine scores with the very same numbers.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import pyarrow as pa

from govgraph.linkage.candidates import Node, node_keys
from govgraph.linkage.compare import Pattern, licence_surname_part
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel

__all__ = [
    "BATCH",
    "CODES",
    "decode",
    "key_batches",
    "node_table",
    "pattern_code",
    "variant_batches",
    "weight_table",
]

_RADIX = (3, 5, 3, 3, 4, 4, 2)
"""Levels per field, the licence field with one more for "no licence number" (3)."""
CODES = 3 * 5 * 3 * 3 * 4 * 4 * 2
"""How many codes there are."""
BATCH = 65_536
"""Rows per Arrow batch of the streamed feature and key tables."""


def pattern_code(p: Pattern) -> int:
    """One integer for a comparison vector (licence ``None`` as level 3)."""
    code = 0
    for radix, level in zip(_RADIX, p, strict=True):
        code = code * radix + (3 if level is None else level)
    return code


def decode(code: int) -> Pattern:
    """The comparison vector of :func:`pattern_code`."""
    levels: list[int] = []
    for radix in reversed(_RADIX):
        code, level = divmod(code, radix)
        levels.append(level)
    s, g, m, d, a, lic, x = reversed(levels)
    return (s, g, m, d, a, None if lic == 3 else lic, x)


def weight_table(model: FSModel) -> pa.Table:
    """Every code with its match weight and probability under ``model``."""
    codes: list[int] = []
    weights: list[float] = []
    probabilities: list[float] = []
    for code in range(CODES):
        w = model.weight(decode(code))
        codes.append(code)
        weights.append(w)
        probabilities.append(model.probability(w))
    return pa.table(
        {
            "code": pa.array(codes, pa.int32()),
            "w": pa.array(weights, pa.float64()),
            "p": pa.array(probabilities, pa.float64()),
        }
    )


def node_table(nodes: list[Node]) -> pa.Table:
    """Each node's number and kind."""
    return pa.table(
        {
            "node": pa.array(range(len(nodes)), pa.int64()),
            "kind": pa.array([n.kind for n in nodes], pa.int32()),
        }
    )


_KEY_SCHEMA = pa.schema(
    [("node", pa.int64()), ("kind", pa.int32()), ("nv", pa.int32()), ("k", pa.int64())]
)


def key_batches(nodes: list[Node]) -> pa.RecordBatchReader:
    """Each node's blocking keys (:func:`~govgraph.linkage.candidates.node_keys`), one row per
    node and key, with the node's kind and variant count: streamed in batches of ``BATCH``
    rows, so that only one batch is ever held in Python."""

    def batches() -> Iterator[pa.RecordBatch]:
        node, kind, nv, keys = array("q"), array("i"), array("i"), array("q")
        for i, key in node_keys(nodes):
            n = nodes[i]
            node.append(i)
            kind.append(n.kind)
            nv.append(len(n.variants))
            keys.append(key)
            if len(node) >= BATCH:
                yield _key_batch(node, kind, nv, keys)
                node, kind, nv, keys = array("q"), array("i"), array("i"), array("q")
        if len(node):
            yield _key_batch(node, kind, nv, keys)

    return pa.RecordBatchReader.from_batches(_KEY_SCHEMA, batches())


def _key_batch(
    node: array[int], kind: array[int], nv: array[int], keys: array[int]
) -> pa.RecordBatch:
    return pa.record_batch(
        [
            pa.array(node, pa.int64()),
            pa.array(kind, pa.int32()),
            pa.array(nv, pa.int32()),
            pa.array(keys, pa.int64()),
        ],
        schema=_KEY_SCHEMA,
    )


def _licence(number: str) -> tuple[bool, int, int, int, int, str]:
    """What the number encodes: (readable, decade, month, day, year digit, sex), as
    :func:`~govgraph.linkage.compare.licence_level` reads it."""
    try:
        month = int(number[6:8])
        return (
            True,
            int(number[5]),
            month % 50,
            int(number[8:10]),
            int(number[10]),
            "F" if month > 50 else "M",
        )
    except (ValueError, IndexError):
        return (False, 0, 0, 0, 0, "")


_STRING = ("sn", "gn", "mid0", "sex", "pc", "outward", "line1", "lic_sex", "lic_sn5", "sn5")
_INT = ("nv", "y", "mo", "d", "dec", "yr1", "lic_dec", "lic_mon", "lic_day", "lic_yr", "nmids")
_BOOL = ("has_dob", "lic", "lic_ok", "exact")
_LISTS = ("forms", "fam", "mids")


_TYPES: dict[str, pa.DataType] = {
    "node": pa.int64(),
    "kind": pa.int32(),
    "vo": pa.int32(),
    **dict.fromkeys(_STRING, pa.string()),
    **dict.fromkeys(_INT, pa.int32()),
    **dict.fromkeys(_BOOL, pa.bool_()),
    **dict.fromkeys(_LISTS, pa.list_(pa.string())),
}
_VARIANT_SCHEMA = pa.schema(
    [(k, _TYPES[k]) for k in ("node", "kind", "vo", *_STRING, *_INT, *_BOOL, *_LISTS)]
)


def variant_batches(nodes: list[Node]) -> pa.RecordBatchReader:
    """One row per node variant (``node``, ``kind``, ordinal ``vo`` of ``nv``) with its
    features, streamed in batches of ``BATCH`` rows: the Python values of one batch are all
    that is held at a time (a whole population's would be several times its records)."""

    def batches() -> Iterator[pa.RecordBatch]:
        cols: dict[str, list[object]] = {k: [] for k in _VARIANT_SCHEMA.names}
        rows = 0
        for i, node in enumerate(nodes):
            for vo, v in enumerate(node.variants):
                _variant_row(cols, i, node, vo, v)
                rows += 1
            if rows >= BATCH:
                yield _variant_batch(cols)
                cols = {k: [] for k in _VARIANT_SCHEMA.names}
                rows = 0
        if rows:
            yield _variant_batch(cols)

    return pa.RecordBatchReader.from_batches(_VARIANT_SCHEMA, batches())


def _variant_batch(cols: dict[str, list[object]]) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array(cols[k], _TYPES[k]) for k in _VARIANT_SCHEMA.names], schema=_VARIANT_SCHEMA
    )


def _variant_row(cols: dict[str, list[object]], i: int, node: Node, vo: int, v: Identity) -> None:
    dob = v.date_of_birth
    number = v.licence_number
    ok, l_dec, l_mon, l_day, l_yr, l_sex = _licence(number) if number else _licence("")
    row: dict[str, object] = {
        "node": i,
        "kind": node.kind,
        "vo": vo,
        "nv": len(node.variants),
        "sn": v.sn,
        "gn": v.gn,
        "mid0": v.mids[0] if v.mids else "",
        "sex": v.sex,
        "pc": v.pc,
        "outward": v.outward,
        "line1": v.line1,
        "lic_sex": l_sex,
        "lic_sn5": number[:5],
        "sn5": licence_surname_part(v.sn),
        "y": dob.year if dob else 0,
        "mo": dob.month if dob else 0,
        "d": dob.day if dob else 0,
        "dec": dob.year // 10 % 10 if dob else 0,
        "yr1": dob.year % 10 if dob else 0,
        "lic_dec": l_dec,
        "lic_mon": l_mon,
        "lic_day": l_day,
        "lic_yr": l_yr,
        "nmids": len(v.mids),
        "has_dob": dob is not None,
        "lic": bool(number),
        "lic_ok": ok,
        "exact": v.exact_key is not None,
        "forms": sorted(v.forms),
        "fam": sorted(y for y in v.family if y != v.gn and len(y) > 2),
        "mids": list(v.mids),
    }
    for k, value in row.items():
        cols[k].append(value)
