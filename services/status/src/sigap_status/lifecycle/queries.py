"""SQL for the lifecycle's commands. Functions take `*, conn` and never commit."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def apply_transition(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    expected_version: int,
    status: str,
    at: datetime,
    rejection_reason: str | None,
    duplicate_of: UUID | None,
    resolution_note: str | None,
    after_photo_ids: list[UUID],
    sla_stage: str | None,
    sla_due_at: datetime | None,
    same_deadline: bool = False,
) -> int | None:
    """Move the complaint if it is still at `expected_version`; returns the new version
    (None when it changed meanwhile)."""
    return await conn.fetchval(
        """
        UPDATE complaints SET
            status = $3,
            version = version + 1,
            updated_at = now(),
            verified_at = CASE WHEN $3 = 'terverifikasi' THEN $4 ELSE verified_at END,
            resolved_at = CASE WHEN $3 = 'selesai' THEN $4 WHEN $3 = 'dibuka_kembali' THEN NULL ELSE resolved_at END,
            rejection_reason = CASE WHEN $3 = 'ditolak' THEN $5 ELSE rejection_reason END,
            duplicate_of = CASE WHEN $3 = 'ditolak' THEN $6 ELSE duplicate_of END,
            resolution_note = CASE WHEN $3 = 'selesai' THEN $7 ELSE resolution_note END,
            after_photo_ids = CASE WHEN $3 = 'selesai' THEN $8::uuid[] ELSE after_photo_ids END,
            sla_stage = $9,
            sla_due_at = $10,
            -- A deadline that keeps running keeps its breach, so it is reported only once.
            sla_breached_at = CASE WHEN $11 THEN sla_breached_at ELSE NULL END,
            sla_paused_at = NULL,
            -- LAPOR! (docs/lapor.md): a status change ends a postponement, and a reopened
            -- complaint may close by itself again after its next follow-up.
            lapor_postponed_at = NULL,
            lapor_postpone_reason = NULL,
            lapor_closed_at = CASE WHEN $3 = 'dibuka_kembali' THEN NULL ELSE lapor_closed_at END
        WHERE id = $1 AND version = $2
        RETURNING version
        """,
        complaint_id,
        expected_version,
        status,
        at,
        rejection_reason,
        duplicate_of,
        resolution_note,
        after_photo_ids,
        sla_stage,
        sla_due_at,
        same_deadline,
    )


async def assign_officer(
    *, conn: asyncpg.Connection, complaint_id: UUID, expected_version: int, officer: str | None
) -> int | None:
    return await conn.fetchval(
        "UPDATE complaints SET assigned_officer = $3, version = version + 1, updated_at = now()"
        " WHERE id = $1 AND version = $2 RETURNING version",
        complaint_id,
        expected_version,
        officer,
    )


async def set_sla_pause(
    *, conn: asyncpg.Connection, complaint_id: UUID, paused_at: datetime | None, due_at: datetime | None
) -> int:
    return await conn.fetchval(
        "UPDATE complaints SET sla_paused_at = $2, sla_due_at = $3, version = version + 1, updated_at = now()"
        " WHERE id = $1 RETURNING version",
        complaint_id,
        paused_at,
        due_at,
    )
