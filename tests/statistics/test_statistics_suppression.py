"""The planted group of three is withheld in every view that contains it, and cannot be
recovered by subtracting published cells from totals or by differencing filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govgraph.statistics.filters import postcode_area
from tests.statistics.conftest import StatsGateway
from tests.statistics.test_statistics_api import TABLE, ask

THRESHOLD = 10
QUERY = "query($f: StatisticsFilter) {{ statistics(filter: $f) {{ {table} {{ {cells} }} }} }}"

Cells = dict[tuple[tuple[str, ...] | None, str | None], dict[str, Any]]


async def _notices(
    client: httpx.AsyncClient, gw: StatsGateway, flt: dict[str, Any], name: str = "penaltyNotices"
) -> Cells:
    query = QUERY.format(table=name, cells=TABLE)
    body = await ask(client, gw, query, {"f": flt})
    assert "errors" not in body, body.get("errors")
    table = body["data"]["statistics"][name]
    cells: Cells = {}
    for cell in table["cells"]:
        cells[(tuple(cell["row"]), cell["column"])] = cell
    for cell in table["rowTotals"]:
        cells[(tuple(cell["row"]), None)] = cell
    for cell in table["columnTotals"]:
        cells[(None, cell["column"])] = cell
    cells[(None, None)] = table["total"]
    return cells


async def _areas(client: httpx.AsyncClient, gw: StatsGateway) -> list[str]:
    query = "{ statistics { passportExpiries { total { people { value } } } } }"
    await ask(client, gw, query)
    rows = await gw.service.rows("benefits")
    return sorted({a for a in (postcode_area(r.get("postcode")) for _, r in rows) if a})


def _views(gw: StatsGateway, areas: list[str]) -> list[dict[str, Any]]:
    g = gw.group
    others = [a for a in areas if a != g.area]
    return [
        {},
        {"fromMonth": g.month},
        {"toMonth": g.month},
        {"fromMonth": g.month, "toMonth": g.month},
        {"postcodeAreas": [g.area]},
        {"postcodeAreas": [g.area, *others[:3]]},
        {"postcodeAreas": [g.area], "fromMonth": g.month, "toMonth": g.month},
    ]


async def test_group_of_three_is_suppressed_in_every_view_that_contains_it(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """The planted cell (council, contravention 99, this month) and its row are withheld."""
    g = stats_gateway.group
    row = (g.council, g.contravention)
    areas = await _areas(stats_client, stats_gateway)
    for flt in _views(stats_gateway, areas):
        cells = await _notices(stats_client, stats_gateway, flt)
        for key in ((row, g.month), (row, None)):
            assert key in cells, (flt, key)
            assert cells[key]["suppressed"] is True, (flt, key)
            assert cells[key]["people"]["value"] is None
            assert cells[key]["records"]["value"] is None
        if flt.get("postcodeAreas") == [g.area]:
            assert cells[(None, None)]["suppressed"] is True, flt


def _lines(cells: Cells) -> list[tuple[list[Any], Any]]:
    rows = {k[0] for k in cells if k[0] is not None}
    cols = {k[1] for k in cells if k[1] is not None}
    lines = [([(r, c) for c in cols], (r, None)) for r in rows]
    lines += [([(r, c) for r in rows], (None, c)) for c in cols]
    lines += [([(r, None) for r in rows], (None, None)), ([(None, c) for c in cols], (None, None))]
    return [([m for m in members if m in cells], total) for members, total in lines]


@pytest.mark.parametrize("table", ["benefitClaims", "penaltyNotices", "passportExpiries"])
async def test_no_line_of_a_table_gives_a_suppressed_cell_by_subtraction(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient, table: str
) -> None:
    """Where a line's total is published, it hides at least two cells of at least 10 people."""
    areas = await _areas(stats_client, stats_gateway)
    name = {"benefitClaims": "benefit_claims", "penaltyNotices": "penalty_notices"}.get(
        table, "passport_expiries"
    )
    checked = 0
    for flt in _views(stats_gateway, areas):
        cells = await _notices(stats_client, stats_gateway, flt, table)
        exact = await stats_gateway.service.exact(name, _filter(flt))
        for members, total in _lines(cells):
            hidden = [m for m in members if cells[m]["suppressed"]]
            if cells[total]["suppressed"] or not hidden:
                continue
            checked += 1
            assert len(hidden) >= 2, (flt, total, hidden)
            assert sum(exact.get(m).people for m in hidden) >= THRESHOLD, (flt, total)
    assert checked or table == "penaltyNotices"


def _filter(flt: dict[str, Any]) -> Any:
    from govgraph.statistics import StatisticsFilter

    return StatisticsFilter.of(flt.get("fromMonth"), flt.get("toMonth"), flt.get("postcodeAreas"))


async def test_totals_with_and_without_a_filter_cannot_be_differenced(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """Any cell published both unfiltered and filtered differs by none or 10 or more people."""
    g = stats_gateway.group
    areas = await _areas(stats_client, stats_gateway)
    unfiltered = await _notices(stats_client, stats_gateway, {})
    attempts = [
        {"postcodeAreas": [a for a in areas if a != g.area][:50]},
        {"toMonth": _previous(g.month)},
        {"fromMonth": g.month},
        {"postcodeAreas": [g.area]},
    ]
    for flt in attempts:
        filtered = await _notices(stats_client, stats_gateway, flt)
        for key, cell in filtered.items():
            before = unfiltered.get(key)
            if before is None or before["suppressed"] or cell["suppressed"]:
                continue
            gap = before["people"]["value"] - cell["people"]["value"]
            assert gap == 0 or gap >= THRESHOLD, (flt, key, gap)


def _previous(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
