"""SQL for a department's field officers. Functions take `*, conn` and never commit."""

from __future__ import annotations

import asyncpg


async def active_officers(*, conn: asyncpg.Connection, department: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT username FROM staff_users WHERE role = 'field_officer' AND department = $1 AND active"
        " ORDER BY username",
        department,
    )
    return [row["username"] for row in rows]
