"""SQL for erasing a reporter's personal data at routing (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import asyncpg

# pg_advisory_xact_lock(class, hashtext(complaint id)): a keyspace apart from the single-key
# locks of the relay and housekeeping.
_ERASURE_LOCK_CLASS = 4_150_015


async def lock_complaints(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> None:
    """Serialise an erasure and a decision on the same complaint until the transaction ends:
    without it, a decision inserted while an erasure runs could miss the erasure (not committed
    yet) and the erasure miss the decision (not committed yet). One statement for a whole poll,
    taking the locks in id order, so two transactions never wait on each other in a circle."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(id::text))"
        " FROM (SELECT DISTINCT id FROM unnest($2::uuid[]) AS id ORDER BY id) AS complaint",
        _ERASURE_LOCK_CLASS,
        list(complaint_ids),
    )


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
        # Another erasure committed the row after this statement's snapshot was taken; a new
        # statement sees it.
        first = await conn.fetchval("SELECT erased_at FROM erased_reporters WHERE complaint_id = $1", complaint_id)
    return first


async def erase_reporter_of_decision(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    """Drop the pseudonym and channels kept with the decision; None when routing has not decided
    on the complaint yet. `had_reporter` says whether anything was still there to drop."""
    return await conn.fetchrow(
        "UPDATE routing_decisions d SET reporter = NULL"
        " FROM (SELECT complaint_id, reporter IS NOT NULL AS had_reporter"
        "       FROM routing_decisions WHERE complaint_id = $1 FOR UPDATE) AS before"
        " WHERE d.complaint_id = before.complaint_id RETURNING before.had_reporter",
        complaint_id,
    )


async def erased_among(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> set[UUID]:
    """Of these complaints, those whose reporter is erased."""
    rows = await conn.fetch(
        "SELECT complaint_id FROM erased_reporters WHERE complaint_id = ANY($1::uuid[])", list(complaint_ids)
    )
    return {row["complaint_id"] for row in rows}
