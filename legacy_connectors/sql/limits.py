"""What a SQL source's write command can hold, read from its tables' reflected columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import types as sa_types

from legacy_connectors.limits import FieldLimit
from legacy_connectors.sql.commands import SqlCommand, ValueSpec

if TYPE_CHECKING:
    from legacy_connectors.sql.writes import SqlWriter

__all__ = ["column_limit", "command_limits"]


def column_limit(column: Any) -> int | None:
    """The most characters a text column holds (``CHAR(n)``/``VARCHAR(n)``), or ``None``."""
    kind = column.type
    if isinstance(kind, sa_types.String) and kind.length:
        return int(kind.length)
    return None


def _limit(
    spec: ValueSpec, column: Any, where: str, charset: tuple[str | None, str]
) -> FieldLimit | None:
    if spec.field is None or spec.type not in ("str", "char") or spec.pattern:
        return None
    width = column_limit(column)
    if spec.slice is not None:
        start, end = spec.slice
        window = max(0, end - start)
        width = window if width is None else min(width, window)
    codec, note = charset
    if width is None and codec is None:
        return None
    origin = f"{where} ({note})" if note else where
    return FieldLimit(path=spec.field, max_length=width, charset=codec, origin=origin)


async def command_limits(writer: SqlWriter, command: str, spec: SqlCommand) -> list[FieldLimit]:
    """One limit per text value a command stores from the payload, for every database the
    command may write to: the column's declared length (and a configured ``slice``) and the
    characters its character set holds."""
    limits: list[FieldLimit] = []
    for target in writer._targets:
        statements = writer._statements(command, spec, target)
        engine = await writer._engine(target)
        async with engine.connect() as conn:
            for statement in statements:
                table = await writer._table(conn, target, statement)
                charsets = await writer._charsets(conn, target, statement)
                for name, value in statement.values.items():
                    if name not in table.c:
                        continue
                    where = f"{target.label} {statement.table}.{name}"
                    found = _limit(value, table.c[name], where, charsets.get(name, (None, "")))
                    if found is not None:
                        limits.append(found)
    return limits
