"""Disclosure control: what of a table may be published, and with how much perturbation.

Applied to every table before it leaves the engine, in four steps (``docs/analysts.md``):

1. **Primary suppression**: a cell of fewer than ``threshold`` people (but not none) is
   withheld.
2. **Filter complement**: when the table was asked for with a filter, a cell whose unfiltered
   counterpart differs from it by fewer than ``threshold`` people (but not none) is withheld,
   so that a total with and without a filter cannot be subtracted to reveal a small group.
3. **Secondary (complementary) suppression**: in every line of the table (a row with its row
   total, a column with its column total, the row totals or column totals with the grand
   total) whose total is published, the withheld members must be at least two and describe at
   least ``threshold`` people together; otherwise the smallest further member is withheld, or
   the total itself when none is left. Repeated until nothing changes.
4. **Perturbation**: every published count gets a bounded, deterministic offset keyed by the
   table, the cell and its true value (the same cell always gets the same answer, so repeating
   a question does not average the noise away); sums of money get a bounded relative offset.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from govgraph.statistics.tables import CellKey, Table, Tally

__all__ = ["Protection", "PublishedCell", "PublishedTable", "protect"]


@dataclass(frozen=True, slots=True)
class Protection:
    """The parameters of disclosure control."""

    threshold: int = 10
    noise: int = 2
    amount_noise: float = 0.02
    secret: bytes = b""


@dataclass(frozen=True, slots=True)
class PublishedCell:
    """A cell as published: values are ``None`` when ``suppressed``."""

    people: int | None
    records: int | None
    amount: Decimal | None
    suppressed: bool


@dataclass(frozen=True, slots=True)
class PublishedTable:
    """A table after disclosure control: only published (or withheld) cells, never tallies."""

    name: str
    row_dims: tuple[str, ...]
    col_dim: str | None
    cells: dict[CellKey, PublishedCell]
    has_amount: bool

    def rows(self) -> list[tuple[str, ...]]:
        return sorted({k[0] for k in self.cells if k[0] is not None})

    def cols(self) -> list[str]:
        return sorted({k[1] for k in self.cells if k[1] is not None})


def _lines(table: Table) -> Iterable[tuple[list[CellKey], CellKey]]:
    rows, cols = table.rows(), table.cols()
    if table.col_dim is None:
        yield [(r, None) for r in rows], (None, None)
        return
    for r in rows:
        yield [(r, c) for c in cols], (r, None)
    for c in cols:
        yield [(r, c) for r in rows], (None, c)
    yield [(r, None) for r in rows], (None, None)
    yield [(None, c) for c in cols], (None, None)


def _small(people: int, threshold: int) -> bool:
    return 0 < people < threshold


def suppression(table: Table, threshold: int, unfiltered: Table | None = None) -> set[CellKey]:
    """The cells of ``table`` to withhold (primary, filter complement and secondary)."""
    keys = set(table.values)
    withheld = {k for k in keys if _small(table.get(k).people, threshold)}
    if unfiltered is not None:
        withheld |= {
            k for k in keys if _small(unfiltered.get(k).people - table.get(k).people, threshold)
        }
    lines = [(members, total) for members, total in _lines(table) if members]
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            if total in withheld:
                continue
            hidden = [m for m in members if m in withheld]
            if not hidden:
                continue
            if len(hidden) >= 2 and sum(table.get(m).people for m in hidden) >= threshold:
                continue
            spare = sorted(
                (m for m in members if m not in withheld and table.get(m).people > 0),
                key=lambda m: (table.get(m).people, repr(m)),
            )
            withheld.add(spare[0] if spare else total)
            changed = True
    return withheld


def _offset(secret: bytes, label: str, spread: int) -> int:
    digest = hmac.new(secret, label.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % (2 * spread + 1) - spread


def _perturb_count(p: Protection, table: str, key: CellKey, what: str, value: int) -> int:
    if value == 0 or p.noise == 0:
        return value
    offset = _offset(p.secret, f"{table}|{key!r}|{what}|{value}", p.noise)
    return max(1, value + offset)


def _perturb_amount(p: Protection, table: str, key: CellKey, value: Decimal) -> Decimal:
    if p.amount_noise == 0 or value == 0:
        return value
    steps = 1000
    offset = _offset(p.secret, f"{table}|{key!r}|amount|{value}", steps)
    factor = Decimal(1) + Decimal(str(p.amount_noise)) * Decimal(offset) / Decimal(steps)
    return (value * factor).quantize(Decimal("1"))


def protect(table: Table, p: Protection, unfiltered: Table | None = None) -> PublishedTable:
    """Publish ``table``: withhold what must be, perturb the rest."""
    withheld = suppression(table, p.threshold, unfiltered)
    cells: dict[CellKey, PublishedCell] = {}
    for key in table.values:
        if key in withheld:
            cells[key] = PublishedCell(None, None, None, True)
            continue
        tally: Tally = table.get(key)
        amount = None
        if tally.amount is not None:
            amount = _perturb_amount(p, table.name, key, tally.amount)
        cells[key] = PublishedCell(
            _perturb_count(p, table.name, key, "people", tally.people),
            _perturb_count(p, table.name, key, "records", tally.records),
            amount,
            False,
        )
    return PublishedTable(table.name, table.row_dims, table.col_dim, cells, table.has_amount)
