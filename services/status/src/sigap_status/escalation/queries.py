"""SQL for the escalation sweep. Functions take `*, conn` and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_shared.db import Rows


async def claim_due(*, conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Breached, running deadlines whose next escalation step is due, locked for this sweep,
    with the steps their breach already climbed."""
    return await conn.fetch(
        """
        SELECT c.id, c.tracking_code, c.department, c.category, c.status, c.sla_stage, c.sla_due_at,
               c.sla_breached_at,
               array(SELECT e.step FROM complaint_escalations e
                     WHERE e.complaint_id = c.id AND e.breached_at = c.sla_breached_at) AS fired
        FROM complaints c
        WHERE c.escalation_next_at <= $1 AND c.sla_breached_at IS NOT NULL AND c.sla_due_at IS NOT NULL
          AND c.sla_paused_at IS NULL
        ORDER BY c.escalation_next_at LIMIT $2
        FOR UPDATE OF c SKIP LOCKED
        """,
        now,
        limit,
    )


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """One step a breach climbed (table `complaint_escalations`)."""

    complaint_id: UUID
    breached_at: datetime
    step: str
    step_number: int
    department: str
    stage: str
    due_at: datetime
    escalated_at: datetime
    event_id: UUID


_ESCALATIONS = Rows(EscalationRow)
_COLUMNS = ", ".join(_ESCALATIONS.names)


async def record_escalations(*, conn: asyncpg.Connection, escalations: Sequence[EscalationRow]) -> set[UUID]:
    """Record the steps climbed; returns the event ids of those not recorded before (a step
    another sweep recorded first is left alone: that sweep told it)."""
    if not escalations:
        return set()
    rows = await conn.fetch(
        f"INSERT INTO complaint_escalations ({_COLUMNS}) SELECT {_COLUMNS} FROM {_ESCALATIONS.unnest}"
        " ORDER BY position ON CONFLICT (complaint_id, breached_at, step) DO NOTHING RETURNING event_id",
        *_ESCALATIONS.params(escalations),
    )
    return {row["event_id"] for row in rows}


async def set_next_due(
    *, conn: asyncpg.Connection, complaint_ids: Sequence[UUID], next_at: Sequence[datetime | None]
) -> None:
    await conn.execute(
        "UPDATE complaints c SET escalation_next_at = n.next_at"
        " FROM unnest($1::uuid[], $2::timestamptz[]) AS n(id, next_at) WHERE c.id = n.id",
        list(complaint_ids),
        list(next_at),
    )


# A complaint stays escalated while its breached deadline still runs: a stage done (verified,
# finished, rejected) clears `sla_breached_at`, and with it the breach's steps.
OPEN_STATUSES = ("diterima", "terverifikasi", "dalam_proses", "dibuka_kembali")


async def escalated_complaints(
    *, conn: asyncpg.Connection, department: str | None, limit: int, offset: int = 0
) -> list[asyncpg.Record]:
    """Open complaints whose running breach climbed at least one step, led by `department`
    (or every department), with the steps climbed (lowest first). Departments take turns:
    each one's longest breached first, then each one's second, and so on, so a page shows
    every department's worst cases instead of filling up with the department breaching most."""
    return await conn.fetch(
        """
        SELECT id, tracking_code, title, department, category, status, sla_stage, sla_due_at, sla_breached_at,
               steps, step_numbers, escalated_at
        FROM (
            SELECT c.id, c.tracking_code, c.title, c.department, c.category, c.status, c.sla_stage, c.sla_due_at,
                   c.sla_breached_at,
                   array_agg(e.step ORDER BY e.step_number) AS steps,
                   array_agg(e.step_number ORDER BY e.step_number) AS step_numbers,
                   array_agg(e.escalated_at ORDER BY e.step_number) AS escalated_at,
                   row_number() OVER (PARTITION BY c.department ORDER BY c.sla_breached_at, c.id) AS turn
            FROM complaints c JOIN complaint_escalations e
              ON e.complaint_id = c.id AND e.breached_at = c.sla_breached_at
            WHERE c.sla_breached_at IS NOT NULL AND c.status = ANY($1::text[])
              AND ($2::text IS NULL OR c.department = $2)
            GROUP BY c.id
        ) escalated
        ORDER BY turn, sla_breached_at, id
        LIMIT $3 OFFSET $4
        """,
        list(OPEN_STATUSES),
        department,
        limit,
        offset,
    )


async def escalated_counts(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    """How many complaints `escalated_complaints` would list in all, per department (most first)."""
    return await conn.fetch(
        """
        SELECT c.department, count(*) AS complaints
        FROM complaints c
        WHERE c.sla_breached_at IS NOT NULL AND c.status = ANY($1::text[])
          AND ($2::text IS NULL OR c.department = $2)
          AND EXISTS (
              SELECT 1 FROM complaint_escalations e
              WHERE e.complaint_id = c.id AND e.breached_at = c.sla_breached_at
          )
        GROUP BY c.department
        ORDER BY count(*) DESC, c.department
        """,
        list(OPEN_STATUSES),
        department,
    )


async def steps_climbed(*, conn: asyncpg.Connection, complaint_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    """For each of `complaint_ids` whose running breach climbed steps: those steps, lowest first."""
    if not complaint_ids:
        return {}
    rows = await conn.fetch(
        """
        SELECT e.complaint_id, array_agg(e.step ORDER BY e.step_number) AS steps
        FROM complaint_escalations e JOIN complaints c
          ON c.id = e.complaint_id AND e.breached_at = c.sla_breached_at
        WHERE e.complaint_id = ANY($1::uuid[])
        GROUP BY e.complaint_id
        """,
        list(complaint_ids),
    )
    return {row["complaint_id"]: list(row["steps"]) for row in rows}
