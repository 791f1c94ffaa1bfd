"""SQL for erasing a reporter's personal data at status (`*, conn`, never commits)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def erase_reporter_of_complaint(
    *, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime
) -> asyncpg.Record | None:
    """Drop the pseudonym and channels from the complaint; None when status does not know the
    complaint yet. `had_reporter` says whether anything was still there to drop."""
    return await conn.fetchrow(
        "UPDATE complaints c SET reporter_pseudonym = NULL, reporter_channels = '{}',"
        " reporter_erased_at = coalesce(c.reporter_erased_at, $2)"
        " FROM (SELECT id, reporter_pseudonym IS NOT NULL OR cardinality(reporter_channels) > 0 AS had_reporter"
        "       FROM complaints WHERE id = $1 FOR UPDATE) AS before"
        " WHERE c.id = before.id RETURNING before.had_reporter, c.reporter_erased_at",
        complaint_id,
        erased_at,
    )
