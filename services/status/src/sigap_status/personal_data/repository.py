"""SQL for erasing a reporter's personal data at status (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import asyncpg


async def remember_erasure(*, conn: asyncpg.Connection, complaint_id: UUID, at: datetime) -> datetime:
    """Record that the complaint's reporter is erased (once); returns when that first happened."""
    first = await conn.fetchval(
        "WITH new AS (INSERT INTO erased_reporters (complaint_id, erased_at) VALUES ($1, $2)"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING erased_at)"
        " SELECT erased_at FROM new UNION ALL SELECT erased_at FROM erased_reporters WHERE complaint_id = $1"
        " LIMIT 1",
        complaint_id,
        at,
    )
    if first is None:
        # Another erasure committed the row after this statement's snapshot was taken (two
        # retention runs overlapping); a new statement sees it.
        first = await conn.fetchval("SELECT erased_at FROM erased_reporters WHERE complaint_id = $1", complaint_id)
    return first


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


async def erased_among(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> set[UUID]:
    """Of these complaints, those whose reporter is erased."""
    rows = await conn.fetch(
        "SELECT complaint_id FROM erased_reporters WHERE complaint_id = ANY($1::uuid[])", list(complaint_ids)
    )
    return {row["complaint_id"] for row in rows}
