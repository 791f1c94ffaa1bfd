"""SQL for erasing a reporter's personal data at routing (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Collection
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
