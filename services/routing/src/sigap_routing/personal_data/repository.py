"""SQL for erasing a reporter's personal data at routing (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_shared.erasure import payload_without_free_text, payload_without_reporter

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


async def clear_history_reasons(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """Empty the reasons staff gave for the complaint's transfers and joint handling up to the
    erasure: they may name or quote the reporter. The entries stay, with their kinds,
    departments, actors and times. A reason written after the erasure is kept (a delegation
    takes the erasure's lock first, so it is either before the erasure or after it). Returns how
    many entries changed. The automatic decision's reasons are routing's own explanation of its
    choice (from the complaint's text and place, which stay) and are kept."""
    return await conn.fetchval(
        "WITH cleared AS (UPDATE routing_history SET reason = ''"
        " WHERE complaint_id = $1 AND kind <> 'automatic' AND at <= $2 AND reason <> '' RETURNING 1)"
        " SELECT count(*) FROM cleared",
        complaint_id,
        erased_at,
    )


async def clear_outbox(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """The complaint's events in the outbox, sent or waiting, without the reporter's pseudonym
    and channels and, those queued up to the erasure, without their free texts (a transfer's or
    joint handling's reason): a waiting one then leaves without them. Rows are keyed by complaint
    id. A delegation's event is dated by its history entry (the outbox row's time is its
    transaction's start, which may precede the erasure it waited for). Returns how many rows
    changed."""
    rows = await conn.fetch(
        "SELECT o.id, o.payload, coalesce(h.at, o.created_at) <= $2 AS before_erasure"
        " FROM outbox o LEFT JOIN routing_history h ON h.event_id = o.event_id"
        " WHERE o.key = $1 FOR UPDATE OF o",
        str(complaint_id).encode(),
        erased_at,
    )
    changed = []
    for row in rows:
        payload = payload_without_reporter(row["payload"]) or row["payload"]
        if row["before_erasure"]:
            payload = payload_without_free_text(payload) or payload
        if payload != row["payload"]:
            changed.append((row["id"], payload))
    if changed:
        await conn.executemany("UPDATE outbox SET payload = $2 WHERE id = $1", changed)
    return len(changed)
