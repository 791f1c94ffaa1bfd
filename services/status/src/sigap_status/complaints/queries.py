"""The complaint record every feature reads, and its timeline: SQL only. Functions take
`*, conn` and never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    complaint_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    actor: str
    detail: dict[str, Any]


def timeline_columns(entries: Sequence[TimelineEntry]) -> list[list[Any]]:
    return [
        [entry.complaint_id for entry in entries],
        [entry.event_id for entry in entries],
        [entry.event_type for entry in entries],
        [entry.occurred_at for entry in entries],
        [entry.actor for entry in entries],
        [orjson.dumps(entry.detail, default=str).decode() for entry in entries],
    ]


def timeline_insert(first: int) -> str:
    return (
        "INSERT INTO timeline (complaint_id, event_id, event_type, occurred_at, actor, detail)"
        f" SELECT * FROM unnest(${first}::uuid[], ${first + 1}::uuid[], ${first + 2}::text[],"
        f" ${first + 3}::timestamptz[], ${first + 4}::text[], ${first + 5}::jsonb[])"
        " ON CONFLICT (event_id) DO NOTHING"
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


async def get_timeline(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, event_type, occurred_at, actor, detail FROM timeline"
        " WHERE complaint_id = $1 ORDER BY occurred_at, id",
        complaint_id,
    )


COMPLAINT_COLUMNS = (
    "id, tracking_code, kind, category, department, status, version, submitted_at, updated_at,"
    " title, description, address, kelurahan, privacy, supporting_departments, assigned_officer,"
    " received_at, verified_at, resolved_at, resolution_note, after_photo_ids, rejection_reason,"
    " duplicate_of, sla_stage, sla_due_at, sla_breached_at, reporter_pseudonym, reporter_channels, lat, lon, sla_paused_at"
)


async def get_complaint_for_update(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1 FOR UPDATE", complaint_id)


async def get_complaint_full(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1", complaint_id)
