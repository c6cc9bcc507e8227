"""The land registry: property titles over REST (``examples/govgraph-rest``), by title number."""

from __future__ import annotations

from govgraph.departments.identifiers import Identifier
from govgraph.departments.model import AccessPolicy, Department

DEPARTMENT = Department(
    id="property",
    name="The land registry",
    description="The land registry.",
    level="central",
    record_key="title number",
    identifiers=(Identifier("title_number", "land registry title number", r"[A-Z]{0,3}\d{1,6}"),),
    access=AccessPolicy(group="property", confidence="P2"),
    cost=5,
    builtin_fields=("properties",),
)
