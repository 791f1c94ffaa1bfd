"""Escalation contacts' SQL. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

ANY_DEPARTMENT = "*"

_COLUMNS = "department, step, emails, updated_at, updated_by"


async def emails_for(*, conn: asyncpg.Connection, department: str, step: str) -> list[str]:
    """The step's addresses for the department, else the city-wide ones (`*`)."""
    emails = await conn.fetchval(
        "SELECT emails FROM escalation_contacts WHERE step = $2 AND department IN ($1, $3)"
        " ORDER BY department = $3 LIMIT 1",
        department,
        step,
        ANY_DEPARTMENT,
    )
    return list(emails or [])


async def list_contacts(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_COLUMNS} FROM escalation_contacts ORDER BY department, step")


async def set_contacts(
    *, conn: asyncpg.Connection, department: str, step: str, emails: Sequence[str], updated_by: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""
        INSERT INTO escalation_contacts (department, step, emails, updated_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (department, step) DO UPDATE
        SET emails = EXCLUDED.emails, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING {_COLUMNS}
        """,
        department,
        step,
        list(emails),
        updated_by,
    )


async def delete_contacts(*, conn: asyncpg.Connection, department: str, step: str) -> bool:
    result = await conn.execute("DELETE FROM escalation_contacts WHERE department = $1 AND step = $2", department, step)
    return result != "DELETE 0"
