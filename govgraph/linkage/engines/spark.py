"""The linkage computation on Apache Spark (``--engine spark``).

The same SQL as the DuckDB engine (:mod:`govgraph.linkage.engines.relational`) in Spark's
dialect, over temporary views. The session is the active one if there is one, else a new one:
local (every core of this machine) unless ``PYSPARK_SUBMIT_ARGS`` or Spark's own configuration
names a cluster. Spark needs Java 17 or later and ``pip install -e '.[spark]'``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from govgraph.linkage.engines.relational import Dialect, RelationalEngine

__all__ = ["DRIVER_MEMORY", "SHUFFLE_PARTITIONS", "SparkEngine", "SparkRunner"]

DRIVER_MEMORY = "4g"
"""Heap of a local session's driver (Spark's default 1g runs out on the window steps; 2g ran
out of execution memory now and then, with every intermediate view cached beside the steps)."""

SHUFFLE_PARTITIONS = 16
"""Partitions after a shuffle: small enough per task that one task's hash aggregate and window
sort fit beside the cached views."""


class SparkRunner:
    """A :class:`~govgraph.linkage.engines.relational.Runner` on a Spark session."""

    dialect = Dialect("spark")

    def __init__(self, session: Any = None) -> None:
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        partitions = max(SHUFFLE_PARTITIONS, os.cpu_count() or 2)
        self._own = session is None and SparkSession.getActiveSession() is None
        self.spark = session or (
            SparkSession.builder.appName("govgraph-link")
            .config("spark.driver.memory", DRIVER_MEMORY)
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        if self._own:
            self.spark.sparkContext.setLogLevel("ERROR")
        self._views: list[str] = []
        self._closed = False

    def table(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        if isinstance(data, pa.RecordBatchReader):
            data = data.read_all()
        frame = self.spark.createDataFrame(data)
        frame.cache().createOrReplaceTempView(name)
        self._views.append(name)

    def create(self, name: str, query: str) -> None:
        self.spark.sql(query).cache().createOrReplaceTempView(name)
        self._views.append(name)

    def append(self, name: str, query: str) -> None:
        frame = self.spark.table(name).unionByName(self.spark.sql(query))
        frame.cache().createOrReplaceTempView(name)

    def rows(self, query: str) -> Iterator[tuple[Any, ...]]:
        for row in self.spark.sql(query).toLocalIterator():
            yield tuple(row)

    def close(self) -> None:
        views, self._views = self._views, []
        if self._closed:
            return
        self._closed = True
        for name in views:
            self.spark.catalog.dropTempView(name)
        self.spark.catalog.clearCache()
        if self._own:
            self.spark.stop()


class SparkEngine(RelationalEngine):
    """Blocking, comparison, scoring and classification on Spark (the candidate step in one
    part: Spark partitions its shuffles and spills by itself)."""

    def __init__(self, session: Any = None) -> None:
        super().__init__(SparkRunner(session))
