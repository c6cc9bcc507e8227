"""Disclosure control's rules at their edges, on hand-built tables: one-person and threshold
cells, the choice of complementary cells, cascades, zero cells, and the published noise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from govgraph.statistics import (
    Accumulator,
    CellKey,
    Protection,
    PublishedCell,
    Table,
    Tally,
    protect,
    suppression,
)

THRESHOLD = 10
EXACT = Protection(threshold=THRESHOLD, noise=0, amount_noise=0)


def _row(name: str) -> CellKey:
    return ((name,), None)


def _one_way(rows: dict[str, int], records_each: int = 1, name: str = "t") -> Table:
    """One row per entry with that many people, each with ``records_each`` records of 12.34."""
    acc = Accumulator(name, ("row",), None, amount=True)
    for row, people in rows.items():
        for person in range(people):
            for _ in range(records_each):
                acc.add((row,), None, f"{row}-{person}", Decimal("12.34"))
    return acc.table()


def _two_way(cells: dict[tuple[str, str], int]) -> Table:
    acc = Accumulator("t", ("row",), "col", amount=True)
    for (row, col), people in cells.items():
        for person in range(people):
            acc.add((row,), col, f"{row}{col}-{person}", Decimal("10"))
    return acc.table()


def _assert_nothing_recoverable(table: Table, hidden: set[CellKey]) -> None:
    """Every line whose total is published hides at least two cells of THRESHOLD people."""
    rows, cols = table.rows(), table.cols()
    lines = [([(r, c) for c in cols], (r, None)) for r in rows]
    lines += [([(r, c) for r in rows], (None, c)) for c in cols]
    lines += [([(r, None) for r in rows], (None, None)), ([(None, c) for c in cols], (None, None))]
    for members, total in lines:
        withheld = [m for m in members if m in hidden]
        if total in hidden or not withheld:
            continue
        assert len(withheld) >= 2, (total, withheld)
        assert sum(table.get(m).people for m in withheld) >= THRESHOLD, (total, withheld)


@pytest.mark.parametrize("threshold", [2, 10])
def test_a_one_person_cell_is_never_published(threshold: int) -> None:
    """A cell of one person is withheld (with a complement) whatever the threshold above 1."""
    table = _one_way({"a": 1, "b": 30, "c": 40})
    assert suppression(table, threshold) == {_row("a"), _row("b")}
    published = protect(table, Protection(threshold=threshold, noise=2, secret=b"k"))
    assert published.cells[_row("a")] == PublishedCell(None, None, None, True)
    assert published.cells[(None, None)].suppressed is False


def test_a_one_person_interior_cell_is_never_published() -> None:
    """An interior cell of one person is withheld in a two-way table."""
    table = _two_way({("a", "x"): 1, ("a", "y"): 30, ("b", "x"): 30, ("b", "y"): 30})
    hidden = suppression(table, THRESHOLD)
    assert (("a",), "x") in hidden
    _assert_nothing_recoverable(table, hidden)


@pytest.mark.parametrize(
    ("people", "withheld"),
    [(THRESHOLD - 1, True), (THRESHOLD, False), (THRESHOLD + 1, False)],
)
def test_cells_below_the_threshold_are_withheld_and_at_it_published(
    people: int, withheld: bool
) -> None:
    """threshold - 1 people: withheld with its complement; threshold or more: published."""
    table = _one_way({"a": people, "b": 30, "c": 40})
    expected = {_row("a"), _row("b")} if withheld else set()
    assert suppression(table, THRESHOLD) == expected
    cell = protect(table, EXACT).cells[_row("a")]
    assert cell.suppressed is withheld
    assert cell.people == (None if withheld else people)


def test_two_withheld_cells_reaching_the_threshold_together_need_no_third() -> None:
    """Cells of 4 and 6 hide each other (10 people together): nothing else is withheld."""
    table = _one_way({"a": 4, "b": 6, "c": 30, "d": 40})
    assert suppression(table, THRESHOLD) == {_row("a"), _row("b")}


def test_two_withheld_cells_short_of_the_threshold_take_the_smallest_third() -> None:
    """Cells of 4 and 5 (9 people) are not enough: the next smallest cell (30) joins them."""
    table = _one_way({"a": 4, "b": 5, "c": 30, "d": 40})
    assert suppression(table, THRESHOLD) == {_row("a"), _row("b"), _row("c")}


def test_a_line_with_nothing_left_to_hide_withholds_its_total() -> None:
    """A one-row table's small row has no partner: the grand total is withheld with it."""
    table = _one_way({"a": 3})
    assert suppression(table, THRESHOLD) == {_row("a"), (None, None)}


def test_the_complement_is_the_smallest_non_empty_cell() -> None:
    """Row a (3, empty, 12, 15): 12 is withheld with the 3, never the empty cell, and the
    columns take their own smallest partners."""
    table = _two_way(
        {
            ("a", "x"): 3,
            ("a", "z"): 12,
            ("a", "w"): 15,
            ("b", "x"): 20,
            ("b", "y"): 30,
            ("b", "z"): 25,
            ("b", "w"): 40,
            ("c", "x"): 22,
            ("c", "y"): 35,
            ("c", "z"): 28,
            ("c", "w"): 45,
        }
    )
    hidden = suppression(table, THRESHOLD)
    assert hidden == {(("a",), "x"), (("a",), "z"), (("b",), "x"), (("b",), "z")}
    assert (("a",), "y") not in hidden
    _assert_nothing_recoverable(table, hidden)


def test_a_zero_cell_is_published_as_zero_and_never_used_as_a_complement() -> None:
    """A cell known to hold nobody is published as 0 (even with noise) and protects nothing."""
    table = _one_way({"a": 3, "b": 30, "c": 40})
    table.values[_row("z")] = Tally(0, 0, Decimal("0.00"))
    assert suppression(table, THRESHOLD) == {_row("a"), _row("b")}
    noisy = Protection(threshold=THRESHOLD, noise=2, amount_noise=0.02, secret=b"k")
    assert protect(table, noisy).cells[_row("z")] == PublishedCell(0, 0, Decimal("0"), False)


def test_suppression_cascades_until_every_line_is_safe() -> None:
    """Partners chosen in the columns leave rows b and c with one withheld cell each; a second
    pass withholds a partner in each of those rows."""
    table = _two_way(
        {
            ("a", "x"): 3,
            ("a", "z"): 12,
            ("a", "w"): 15,
            ("b", "x"): 20,
            ("b", "y"): 30,
            ("b", "z"): 28,
            ("b", "w"): 40,
            ("c", "x"): 22,
            ("c", "y"): 35,
            ("c", "z"): 25,
            ("c", "w"): 45,
        }
    )
    hidden = suppression(table, THRESHOLD)
    assert hidden == {
        (("a",), "x"),
        (("a",), "z"),
        (("b",), "x"),
        (("b",), "z"),
        (("c",), "z"),
        (("c",), "x"),
    }
    _assert_nothing_recoverable(table, hidden)


@pytest.mark.parametrize(("gap", "withheld"), [(0, False), (1, True), (9, True), (10, False)])
def test_a_filtered_cell_is_withheld_when_it_differs_by_1_to_threshold_minus_1(
    gap: int, withheld: bool
) -> None:
    """Filtered and unfiltered row a differ by ``gap`` people: withheld only for 1 to 9."""
    unfiltered = _one_way({"a": 40, "b": 40, "c": 40})
    filtered = _one_way({"a": 40 - gap, "b": 40, "c": 40})
    hidden = suppression(filtered, THRESHOLD, unfiltered)
    assert (_row("a") in hidden) is withheld
    if not withheld:
        assert hidden == set()


def test_without_noise_the_exact_figures_are_published() -> None:
    """noise = 0 and amount_noise = 0: people, records and pennies exactly as counted."""
    table = _one_way({"a": 12, "b": 30}, records_each=3)
    published = protect(table, EXACT)
    assert published.cells[_row("a")] == PublishedCell(12, 36, Decimal("444.24"), False)
    assert published.cells[(None, None)] == PublishedCell(42, 126, Decimal("1554.84"), False)


def _noisy_table(name: str = "t") -> Table:
    return _one_way({f"r{n:02d}": 20 + n for n in range(60)}, records_each=2, name=name)


NOISY = Protection(threshold=THRESHOLD, noise=2, amount_noise=0.02, secret=b"s")


def test_noise_moves_counts_by_every_offset_within_the_bound() -> None:
    """With noise = 2, published people and records are off by -2 to 2, each offset used, and
    a cell's people and records get offsets of their own."""
    table = _noisy_table()
    published = protect(table, NOISY)
    people_offsets, records_offsets = [], []
    for key, tally in table.values.items():
        cell = published.cells[key]
        assert cell.people is not None and cell.records is not None
        people_offsets.append(cell.people - tally.people)
        records_offsets.append(cell.records - tally.records)
    assert set(people_offsets) == {-2, -1, 0, 1, 2}
    assert set(records_offsets) == {-2, -1, 0, 1, 2}
    assert people_offsets != records_offsets


def test_amounts_get_a_bounded_relative_offset_in_whole_units() -> None:
    """With amount_noise = 0.02 each amount moves by at most 2 % (rounded to a whole unit), by
    offsets that differ from cell to cell."""
    table = _noisy_table()
    published = protect(table, NOISY)
    ratios = set()
    for key, tally in table.values.items():
        amount = published.cells[key].amount
        assert amount is not None and tally.amount is not None
        assert amount == amount.to_integral_value()
        assert abs(amount - tally.amount) <= tally.amount * Decimal("0.02") + Decimal("0.5")
        ratios.add(round((amount - tally.amount) / tally.amount, 2))
    assert len(ratios) >= 3
    assert any(r != 0 for r in ratios)


def test_noise_never_publishes_a_counted_cell_below_one() -> None:
    """With a threshold of 1 and noise 3, one-person cells are published as 1 to 4, never 0."""
    table = _one_way({f"r{n:02d}": 1 for n in range(40)})
    published = protect(table, Protection(threshold=1, noise=3, amount_noise=0, secret=b"k"))
    people = [published.cells[_row(f"r{n:02d}")].people for n in range(40)]
    assert all(p is not None and 1 <= p <= 4 for p in people)
    assert min(p for p in people if p is not None) == 1
    assert max(p for p in people if p is not None) > 1


def test_a_published_table_lists_its_rows_and_columns() -> None:
    """rows() and cols() give the table's rows and columns, sorted, without the totals."""
    table = _two_way({("b", "y"): 30, ("a", "x"): 20, ("c", "x"): 3, ("c", "z"): 40})
    published = protect(table, EXACT)
    assert published.rows() == [("a",), ("b",), ("c",)]
    assert published.cols() == ["x", "y", "z"]
    assert (published.name, published.row_dims, published.col_dim) == ("t", ("row",), "col")
    assert published.has_amount is True
    one_way = protect(_one_way({"b": 30, "a": 20}), EXACT)
    assert one_way.rows() == [("a",), ("b",)]
    assert one_way.cols() == []


def test_small_cells_stay_withheld_when_a_filter_is_applied() -> None:
    """With an unfiltered table given, small cells are still withheld besides the filter's."""
    unfiltered = _one_way({"a": 3, "b": 40, "c": 40})
    filtered = _one_way({"a": 3, "b": 40, "c": 40})
    assert suppression(filtered, THRESHOLD, unfiltered) == {_row("a"), _row("b")}


def test_publishing_a_filtered_table_applies_the_filter_complement() -> None:
    """protect() given the unfiltered table withholds a cell 5 people short of it."""
    unfiltered = _one_way({"a": 40, "b": 40, "c": 40})
    filtered = _one_way({"a": 35, "b": 40, "c": 40})
    published = protect(filtered, EXACT, unfiltered)
    assert published.cells[_row("a")].suppressed is True
    assert published.cells[(None, None)].suppressed is True
    assert protect(filtered, EXACT).cells[_row("a")] == PublishedCell(
        35, 35, Decimal("431.90"), False
    )


def test_a_withheld_total_does_not_stop_the_other_lines_being_protected() -> None:
    """Row a is one small cell (its total withheld too); column x still gets a partner."""
    table = _two_way(
        {("a", "x"): 3, ("b", "x"): 30, ("b", "y"): 30, ("c", "x"): 20, ("c", "y"): 25}
    )
    hidden = suppression(table, THRESHOLD)
    assert {(("a",), "x"), (("a",), None), (("c",), "x")} <= hidden
    _assert_nothing_recoverable(table, hidden)


def test_noise_of_one_moves_counts_by_one_at_most() -> None:
    """noise = 1 perturbs too: offsets -1, 0 and 1 all occur, none larger."""
    table = _noisy_table()
    published = protect(table, Protection(threshold=THRESHOLD, noise=1, secret=b"s"))
    offsets = {
        (published.cells[key].people or 0) - tally.people for key, tally in table.values.items()
    }
    assert offsets == {-1, 0, 1}


def test_cells_with_the_same_figures_get_offsets_of_their_own() -> None:
    """Forty rows of 25 people, 50 records and 617.00: people, records and amounts published
    differently from row to row (the offset is keyed by the cell)."""
    table = _one_way({f"r{n:02d}": 25 for n in range(40)}, records_each=2)
    published = protect(table, NOISY)
    rows = [published.cells[_row(f"r{n:02d}")] for n in range(40)]
    assert len({c.people for c in rows}) > 1
    assert len({c.records for c in rows}) > 1
    assert len({c.amount for c in rows}) > 1


def test_every_published_figure_depends_on_the_table() -> None:
    """The same figures in a table of another name get other people, records and amounts."""
    first = protect(_noisy_table("t"), NOISY)
    second = protect(_noisy_table("u"), NOISY)
    for field in ("people", "records", "amount"):
        assert [getattr(c, field) for c in first.cells.values()] != [
            getattr(c, field) for c in second.cells.values()
        ], field


def test_a_table_without_money_publishes_no_amounts() -> None:
    """A table counted without amounts publishes amount None in every cell."""
    acc = Accumulator("t", ("row",), None, amount=False)
    for person in range(12):
        acc.add(("a",), None, f"p{person}")
    published = protect(acc.table(), NOISY)
    assert published.has_amount is False
    assert {c.amount for c in published.cells.values()} == {None}
    assert all(c.people is not None for c in published.cells.values())
