"""SQL for the SLA sweep. Functions take `*, conn` and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg


def overdue_deadline(row: asyncpg.Record) -> dict[str, Any]:
    """The fields a breach and each escalation step tell about the deadline that passed."""
    return {
        "complaint_id": row["id"],
        "tracking_code": row["tracking_code"],
        "department": row["department"] or "",
        "status": row["status"],
        "stage": row["sla_stage"],
        "due_at": row["sla_due_at"],
    }


async def claim_breached(*, conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Running deadlines that passed and were not reported yet, locked for this sweep."""
    return await conn.fetch(
        "SELECT id, tracking_code, department, status, sla_stage, sla_due_at FROM complaints"
        " WHERE sla_due_at <= $1 AND sla_breached_at IS NULL AND sla_due_at IS NOT NULL AND sla_paused_at IS NULL"
        " ORDER BY sla_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )


async def mark_breached(*, conn: asyncpg.Connection, complaint_ids: list[UUID], at: datetime) -> None:
    await conn.execute(
        """
        UPDATE complaints SET
            sla_breached_at = $2,
            escalation_next_at = $2,  -- the breach starts its escalation ladder (escalation/sweep.py)
            verify_breached_at = CASE WHEN sla_stage = 'verify' THEN coalesce(verify_breached_at, $2) ELSE verify_breached_at END,
            finish_breached_at = CASE WHEN sla_stage = 'finish' THEN coalesce(finish_breached_at, $2) ELSE finish_breached_at END
        WHERE id = ANY($1::uuid[])
        """,
        complaint_ids,
        at,
    )
