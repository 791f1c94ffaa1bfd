"""SQL for what anyone may read: publicly listed complaints. Functions take `*, conn` and
never commit."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


# What the public may see at all: complaints whose reporter chose `publik` and to be listed.
PUBLICLY_SHOWN = "privacy = 'publik' AND publicly_visible"


async def get_public_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, kind, category, department, status, version, submitted_at, updated_at"
        f" FROM complaints WHERE id = $1 AND {PUBLICLY_SHOWN}",
        complaint_id,
    )


async def list_public(
    *,
    conn: asyncpg.Connection,
    category: str | None,
    kelurahan: str | None,
    status: str | None,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """Complaints whose reporter chose to be public and listed, newest first: no identities,
    no text (the reporter's description may name people), no staff."""
    return await conn.fetch(
        f"""
        SELECT id, category, kelurahan, department, status, submitted_at, resolved_at, after_photo_ids
        FROM complaints
        WHERE {PUBLICLY_SHOWN} AND status IS NOT NULL AND submitted_at IS NOT NULL
          AND ($1::text IS NULL OR category = $1)
          AND ($2::text IS NULL OR kelurahan = $2)
          AND ($3::text IS NULL OR status = $3)
          AND ($4::timestamptz IS NULL OR (submitted_at, id) < ($4, $5::uuid))
        ORDER BY submitted_at DESC, id DESC
        LIMIT $6
        """,
        category,
        kelurahan,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
