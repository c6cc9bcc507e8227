"""Statistics for analysts: aggregates computed where the data lives, under disclosure control.

See ``docs/analysts.md`` for the tables, the filters and the disclosure-control methods.
"""

from __future__ import annotations

from govgraph.statistics.disclosure import (
    Protection,
    PublishedCell,
    PublishedTable,
    protect,
    suppression,
)
from govgraph.statistics.filters import FilterError, StatisticsFilter
from govgraph.statistics.service import StatisticsService, UnknownTable
from govgraph.statistics.settings import StatisticsSettings
from govgraph.statistics.tables import Accumulator, CellKey, Table, Tally

__all__ = [
    "Accumulator",
    "CellKey",
    "FilterError",
    "Protection",
    "PublishedCell",
    "PublishedTable",
    "StatisticsFilter",
    "StatisticsService",
    "StatisticsSettings",
    "Table",
    "Tally",
    "UnknownTable",
    "protect",
    "suppression",
]
