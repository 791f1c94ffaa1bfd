"""Where in a database a reporter's personal data still is: every text, JSON, array and bytes
column of every table is searched for each given string (a name, a phone number, an address, a
pseudonym), so a test can assert that an erasure left none of them anywhere."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

# Bytes columns hold sealed values (opaque) and events as JSON (readable): both are searched as bytes.
_COLUMNS = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'tsvector', 'ARRAY'))
ORDER BY c.table_schema, c.table_name, c.ordinal_position
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def places_holding(conn: asyncpg.Connection, needles: Sequence[str]) -> list[str]:
    """`table.column: needle` for every column in which a row holds one of `needles` (compared
    case-insensitively, except in bytes)."""
    found: list[str] = []
    for column in await conn.fetch(_COLUMNS):
        table = f"{_quoted(column['table_schema'])}.{_quoted(column['table_name'])}"
        name = _quoted(column["column_name"])
        if column["data_type"] == "bytea":
            match = f"position(convert_to($1, 'UTF8') IN {name}) > 0"
        else:
            match = f"strpos(lower({name}::text), lower($1)) > 0"
        for needle in needles:
            if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {match})", needle):
                found.append(f"{column['table_name']}.{column['column_name']}: {needle}")
    return found
