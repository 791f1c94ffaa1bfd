"""Open311's reads of intake's database (`*, conn`, never commits)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_shared.events import ComplaintInformationAdded

# `last_note` is the city's latest word (Open311 status_notes), not the reporter's own.
_OPEN311_COLUMNS = f"""
    c.id, c.category, c.description, c.address, c.lat, c.lon, c.status, c.department,
    c.resolution_note, c.submitted_at, c.status_changed_at,
    (SELECT t.note FROM tracking_timeline t WHERE t.complaint_id = c.id AND t.note IS NOT NULL
       AND t.event_type <> '{ComplaintInformationAdded.event_type}'
     ORDER BY t.occurred_at DESC LIMIT 1) AS last_note,
    (SELECT p.id FROM photos p WHERE p.complaint_id = c.id ORDER BY p.uploaded_at, p.id LIMIT 1) AS first_photo_id
"""



async def open311_requests(
    *,
    conn: asyncpg.Connection,
    complaint_ids: list[UUID] | None,
    category: str | None,
    start: datetime,
    end: datetime,
    closed: bool | None,
    closed_statuses: list[str],
    limit: int = 1000,
) -> list[asyncpg.Record]:
    """Public reports only: confidential and anonymous ones never appear in Open311 listings."""
    return await conn.fetch(
        f"""
        SELECT {_OPEN311_COLUMNS} FROM complaints c
        WHERE c.privacy = 'publik' AND c.publicly_visible
          AND ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[]))
          AND ($2::text IS NULL OR c.category = $2)
          AND ($1::uuid[] IS NOT NULL OR c.submitted_at BETWEEN $3 AND $4)
          AND ($5::boolean IS NULL OR (c.status = ANY($6::text[])) = $5)
        ORDER BY c.submitted_at DESC
        LIMIT $7
        """,
        complaint_ids,
        category,
        start,
        end,
        closed,
        closed_statuses,
        limit,
    )


async def complaint_id_by_token_hash(*, conn: asyncpg.Connection, token_hash: bytes) -> UUID | None:
    return await conn.fetchval("SELECT id FROM complaints WHERE follow_up_token_hash = $1", token_hash)
