"""Departments as declarations: who each one is, where its records are, how they join a citizen.

The service layer's vocabulary of departments (:class:`Department` and its parts), the registry
that finds them (built-ins, then the ``govgraph.departments`` entry points) and the checks of a
set of declarations. Nothing here imports the API layer or the server.
"""

from __future__ import annotations

from govgraph.departments.identifiers import BUILTIN_IDENTIFIERS, Identifier
from govgraph.departments.model import (
    VIEW_TYPES,
    VIEWS,
    AccessPolicy,
    CitizenField,
    Department,
    EnumType,
    FieldSpec,
    IdentityMapping,
    Item,
    ItemRule,
    Level,
    RecordType,
    SavedTable,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
    StatisticsSpec,
    WriteCommand,
    camel,
)
from govgraph.departments.paths import first_at, values_at
from govgraph.departments.registry import (
    ENTRY_POINT_GROUP,
    address_change_command,
    all_departments,
    department_problems,
    department_with_command,
    departments,
    source_with_command,
)
from govgraph.departments.validate import DepartmentError, check_departments

__all__ = [
    "BUILTIN_IDENTIFIERS",
    "ENTRY_POINT_GROUP",
    "VIEWS",
    "VIEW_TYPES",
    "AccessPolicy",
    "CitizenField",
    "Department",
    "DepartmentError",
    "EnumType",
    "FieldSpec",
    "Identifier",
    "IdentityMapping",
    "Item",
    "ItemRule",
    "Level",
    "RecordType",
    "SavedTable",
    "StatisticsCondition",
    "StatisticsDimension",
    "StatisticsMeasure",
    "StatisticsSpec",
    "WriteCommand",
    "address_change_command",
    "all_departments",
    "camel",
    "check_departments",
    "department_problems",
    "department_with_command",
    "departments",
    "first_at",
    "source_with_command",
    "values_at",
]
