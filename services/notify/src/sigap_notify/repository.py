"""Notify's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import orjson

from sigap_notify.domain import PlannedNotification


async def record_notifications(
    *,
    conn: asyncpg.Connection,
    event_id: UUID,
    complaint_id: UUID,
    event_type: str,
    planned: Sequence[PlannedNotification],
) -> int:
    """Insert each (event, recipient, channel) once; returns how many were new."""
    if not planned:
        return 0
    result = await conn.execute(
        """
        INSERT INTO notifications (event_id, complaint_id, event_type, recipient, channel, template, params)
        SELECT $1, $2, $3, recipient, channel, template, params
        FROM unnest($4::text[], $5::text[], $6::text[], $7::jsonb[]) AS p(recipient, channel, template, params)
        ON CONFLICT (event_id, recipient, channel) DO NOTHING
        """,
        event_id,
        complaint_id,
        event_type,
        [item.recipient for item in planned],
        [item.channel for item in planned],
        [item.template for item in planned],
        [orjson.dumps(item.params).decode() for item in planned],
    )
    return int(result.rsplit(" ", 1)[-1])


async def list_for_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, event_type, recipient, channel, template, status, attempts, created_at"
        " FROM notifications WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )
