"""A service's memory of erased reporters (UU 27/2022): its own `erased_reporters` table
(complaint_id primary key, erased_at), written when intake asks it to erase a complaint's
reporter, and read by its consumers so an event that arrives after the erasure stores and
announces no reporter. SQL only: `*, conn`, never commits."""

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


async def is_erased(*, conn: asyncpg.Connection, complaint_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM erased_reporters WHERE complaint_id = $1)", complaint_id))


async def erased_among(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> set[UUID]:
    """Of these complaints, those whose reporter is erased."""
    rows = await conn.fetch(
        "SELECT complaint_id FROM erased_reporters WHERE complaint_id = ANY($1::uuid[])", list(complaint_ids)
    )
    return {row["complaint_id"] for row in rows}
