"""A council tax department for govgraph: a CSV connector kind, a declaration, a data generator."""

from __future__ import annotations

from govgraph_counciltax.connector import CsvConnector, CsvSettings
from govgraph_counciltax.department import DEPARTMENT

__all__ = ["DEPARTMENT", "CsvConnector", "CsvSettings"]
