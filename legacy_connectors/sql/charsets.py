"""Which characters a SQL text column can hold, as a Python codec for :func:`unencodable`.

A legacy database is often not Unicode: a MariaDB column in ``latin1`` or a PostgreSQL
database in ``LATIN1`` stores ``?`` for "Ł" (or refuses it, in strict mode), so a write must
be checked against the column's repertoire before it is sent. ``None`` means any character.
"""

from __future__ import annotations

import codecs
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from legacy_connectors.limits import BMP_CHARSET

__all__ = ["UNKNOWN_CHARSET", "column_charsets", "python_codec"]

UNKNOWN_CHARSET = "ascii"
"""What an unrecognised server character set is assumed to hold: plain ASCII, so nothing is
ever stored as ``?``; the limit's origin names the set so an operator can map it."""

_MYSQL: dict[str, str | None] = {
    "utf8mb4": None,
    "utf16": None,
    "utf16le": None,
    "utf32": None,
    "binary": None,
    "utf8": BMP_CHARSET,
    "utf8mb3": BMP_CHARSET,
    "ucs2": BMP_CHARSET,
    "latin1": "cp1252",  # MySQL's latin1 is Windows-1252
    "ascii": "ascii",
    "latin2": "iso8859_2",
    "latin5": "iso8859_9",
    "latin7": "iso8859_13",
    "greek": "iso8859_7",
    "hebrew": "iso8859_8",
    "cp1250": "cp1250",
    "cp1251": "cp1251",
    "cp1256": "cp1256",
    "cp1257": "cp1257",
    "cp850": "cp850",
    "cp852": "cp852",
    "cp866": "cp866",
    "koi8r": "koi8_r",
    "koi8u": "koi8_u",
}

_POSTGRES: dict[str, str | None] = {
    "utf8": None,
    "sql_ascii": None,  # bytes are stored as the client sends them (UTF-8), unchecked
    "latin1": "latin_1",
    "latin2": "iso8859_2",
    "latin3": "iso8859_3",
    "latin4": "iso8859_4",
    "latin5": "iso8859_9",
    "latin6": "iso8859_10",
    "latin7": "iso8859_13",
    "latin8": "iso8859_14",
    "latin9": "iso8859_15",
    "latin10": "iso8859_16",
    "win1250": "cp1250",
    "win1251": "cp1251",
    "win1252": "cp1252",
    "win1253": "cp1253",
    "win1254": "cp1254",
    "win1255": "cp1255",
    "win1256": "cp1256",
    "win1257": "cp1257",
    "win1258": "cp1258",
    "koi8r": "koi8_r",
    "koi8u": "koi8_u",
}


def python_codec(dialect: str, charset: str | None) -> tuple[str | None, str]:
    """(codec, note) for a server character set name; the note is empty unless the set was
    not recognised (then ASCII is assumed)."""
    if charset is None:
        return None, ""
    key = charset.lower().replace("-", "").replace("_", "")
    table = _POSTGRES if dialect == "postgresql" else _MYSQL
    for name, codec in table.items():
        if name.replace("_", "") == key:
            return codec, ""
    try:
        return codecs.lookup(charset).name, ""
    except LookupError:
        return UNKNOWN_CHARSET, f"unrecognised character set {charset!r}, ASCII assumed"


async def column_charsets(conn: AsyncConnection, table: Table) -> dict[str, tuple[str | None, str]]:
    """(codec, note) of every column of ``table`` (``None``: any character)."""
    dialect = conn.dialect.name
    found: dict[str, tuple[str | None, str]] = {}
    if dialect in ("mysql", "mariadb"):
        options: Any = table.dialect_options["mysql"]
        default = options.get("default charset") or options.get("charset")
        for column in table.c:
            charset = getattr(column.type, "charset", None) or default
            found[column.name] = python_codec("mysql", charset)
    elif dialect == "postgresql":
        encoding = (await conn.execute(text("SHOW server_encoding"))).scalar()
        codec = python_codec("postgresql", str(encoding) if encoding else None)
        for column in table.c:
            found[column.name] = codec
    else:
        for column in table.c:
            found[column.name] = (None, "")
    return found
