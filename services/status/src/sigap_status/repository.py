"""Status's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson


async def upsert_submitted(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    tracking_code: str,
    kind: str,
    category: str | None,
    submitted_at: datetime,
) -> None:
    await conn.execute(
        """
        INSERT INTO complaints (id, tracking_code, kind, category, submitted_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (id) DO UPDATE SET
            kind = EXCLUDED.kind,
            category = COALESCE(complaints.category, EXCLUDED.category),
            submitted_at = EXCLUDED.submitted_at,
            updated_at = now()
        """,
        complaint_id,
        tracking_code,
        kind,
        category,
        submitted_at,
    )


async def place_at_department(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    tracking_code: str,
    department: str,
    category: str | None,
) -> str | None:
    """Set the department; returns the status the complaint had before (None if unplaced)."""
    return await conn.fetchval(
        """
        WITH previous AS (SELECT status FROM complaints WHERE id = $1 FOR UPDATE)
        INSERT INTO complaints (id, tracking_code, department, category)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO UPDATE SET
            department = EXCLUDED.department,
            category = COALESCE(EXCLUDED.category, complaints.category),
            version = complaints.version + 1,
            updated_at = now()
        RETURNING (SELECT status FROM previous)
        """,
        complaint_id,
        tracking_code,
        department,
        category,
    )


async def set_status(*, conn: asyncpg.Connection, complaint_id: UUID, status: str) -> None:
    await conn.execute(
        "UPDATE complaints SET status = $2, version = version + 1, updated_at = now() WHERE id = $1",
        complaint_id,
        status,
    )


async def add_timeline_entry(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    event_id: UUID,
    event_type: str,
    occurred_at: datetime,
    actor: str,
    detail: dict[str, Any],
) -> None:
    await conn.execute(
        """
        INSERT INTO timeline (complaint_id, event_id, event_type, occurred_at, actor, detail)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (event_id) DO NOTHING
        """,
        complaint_id,
        event_id,
        event_type,
        occurred_at,
        actor,
        orjson.dumps(detail, default=str).decode(),
    )


async def get_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, tracking_code, kind, category, department, status, version, submitted_at, updated_at"
        " FROM complaints WHERE id = $1",
        complaint_id,
    )


async def get_timeline(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, event_type, occurred_at, actor, detail FROM timeline"
        " WHERE complaint_id = $1 ORDER BY occurred_at, id",
        complaint_id,
    )
