"""SQL for LAPOR!'s actions, auto-close and export. Functions take `*, conn` and never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_status.complaints.queries import COMPLAINT_COLUMNS


async def set_postponed(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    postponed_at: datetime | None,
    reason: str | None,
    paused_at: datetime | None,
    due_at: datetime | None,
) -> int:
    """Postpone (with the SLA deadline paused) or resume (with it pushed back)."""
    return await conn.fetchval(
        "UPDATE complaints SET lapor_postponed_at = $2, lapor_postpone_reason = $3, sla_paused_at = $4,"
        " sla_due_at = $5, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version",
        complaint_id,
        postponed_at,
        reason,
        paused_at,
        due_at,
    )


async def mark_archived(*, conn: asyncpg.Connection, complaint_id: UUID, at: datetime) -> None:
    await conn.execute("UPDATE complaints SET lapor_archived_at = $2 WHERE id = $1", complaint_id, at)


async def claim_closable(*, conn: asyncpg.Connection, resolved_before: datetime, limit: int) -> list[asyncpg.Record]:
    """Finished complaints not closed yet whose follow-up is older than `resolved_before` (a
    calendar-day bound; the caller counts working days), oldest first, locked for this sweep."""
    return await conn.fetch(
        f"SELECT {COMPLAINT_COLUMNS} FROM complaints"
        " WHERE status = 'selesai' AND lapor_closed_at IS NULL AND resolved_at <= $1"
        " ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        resolved_before,
        limit,
    )


async def mark_closed(*, conn: asyncpg.Connection, complaint_ids: list[UUID], at: datetime) -> None:
    await conn.execute(
        "UPDATE complaints SET lapor_closed_at = $2, version = version + 1, updated_at = now()"
        " WHERE id = ANY($1::uuid[])",
        complaint_ids,
        at,
    )


async def find_by_tracking_code(*, conn: asyncpg.Connection, tracking_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE tracking_code = $1 AND status IS NOT NULL", tracking_code
    )


async def export_rows(
    *, conn: asyncpg.Connection, since: datetime | None, department: str | None, batch: int = 500
) -> AsyncIterator[asyncpg.Record]:
    """Received complaints (updated since `since`), in pages of `batch` by (updated_at, id)."""
    after: tuple[datetime, UUID] | None = None
    while True:
        rows = await conn.fetch(
            f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE status IS NOT NULL"
            " AND ($1::timestamptz IS NULL OR updated_at >= $1)"
            " AND ($2::text IS NULL OR department = $2)"
            " AND ($3::timestamptz IS NULL OR (updated_at, id) > ($3, $4::uuid))"
            " ORDER BY updated_at, id LIMIT $5",
            since,
            department,
            after[0] if after else None,
            after[1] if after else None,
            batch,
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = (rows[-1]["updated_at"], rows[-1]["id"])
