"""Disclosure control on hand-built tables: primary, complementary, filter complement, noise."""

from __future__ import annotations

from decimal import Decimal

from govgraph.statistics import Accumulator, Protection, Table, protect, suppression


def _table(cells: dict[tuple[str, str], int]) -> Table:
    acc = Accumulator("t", ("row",), "col", amount=True)
    person = 0
    for (row, col), people in cells.items():
        for _ in range(people):
            person += 1
            acc.add((row,), col, f"p{person}", Decimal("10"))
    return acc.table()


def test_a_small_cell_and_its_complement_are_withheld() -> None:
    """A cell of 3 in a row withholds it and the row's next smallest cell, not the total."""
    table = _table({("a", "x"): 3, ("a", "y"): 12, ("a", "z"): 40, ("b", "x"): 30, ("b", "y"): 30})
    hidden = suppression(table, 10)
    assert (("a",), "x") in hidden
    assert (("a",), "y") in hidden
    assert (("a",), None) not in hidden
    column_x = [k for k in hidden if k[1] == "x" and k[0] is not None]
    assert len(column_x) >= 2


def test_two_small_cells_that_add_up_to_less_than_the_threshold_hide_a_third() -> None:
    """Cells of 2 and 3 in one row are not enough: a third cell joins them."""
    table = _table({("a", "x"): 2, ("a", "y"): 3, ("a", "z"): 25, ("b", "x"): 30})
    hidden = suppression(table, 10)
    row_a = [k for k in hidden if k[0] == ("a",) and k[1] is not None]
    assert len(row_a) == 3 or (("a",), None) in hidden


def test_a_row_of_one_small_cell_withholds_its_total() -> None:
    """A row whose only cell is small has its total (the same people) withheld too."""
    table = _table({("a", "x"): 3, ("b", "x"): 30, ("b", "y"): 30})
    hidden = suppression(table, 10)
    assert {(("a",), "x"), (("a",), None)} <= hidden


def test_a_filtered_cell_close_to_its_unfiltered_value_is_withheld() -> None:
    """A filtered cell that differs from the unfiltered one by 1 to 9 people is withheld."""
    unfiltered = _table({("a", "x"): 40, ("b", "x"): 40})
    filtered = _table({("a", "x"): 37, ("b", "x"): 40})
    hidden = suppression(filtered, 10, unfiltered)
    assert (("a",), "x") in hidden
    assert (("b",), "x") not in hidden


def test_noise_is_deterministic_bounded_and_keeps_zero() -> None:
    """The same table gives the same published counts; each within ±noise of the truth."""
    table = _table({("a", "x"): 40, ("b", "x"): 25, ("b", "y"): 11})
    p = Protection(threshold=10, noise=2, secret=b"k")
    first, second = protect(table, p), protect(table, p)
    assert first == second
    for key, cell in first.cells.items():
        assert cell.people is not None
        assert abs(cell.people - table.get(key).people) <= 2
    other = protect(table, Protection(threshold=10, noise=2, secret=b"other"))
    assert other.cells.keys() == first.cells.keys()
    empty = Accumulator("e", ("row",), None, amount=False).table()
    assert protect(empty, p).cells == {}
