"""Capture sessions in intake's database (`*, conn`, never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_intake.capture.tokens import CaptureSession, VideoTrack


async def insert_capture_session(*, conn: asyncpg.Connection, session: CaptureSession) -> None:
    await conn.execute(
        "INSERT INTO capture_sessions (id, started_at, expires_at, source, track_width, track_height)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        session.id,
        session.started_at,
        session.expires_at,
        session.source,
        session.track.width if session.track else None,
        session.track.height if session.track else None,
    )


@dataclass(frozen=True, slots=True)
class CaptureSessionRow:
    session: CaptureSession
    used_at: datetime | None


async def lock_capture_session(*, conn: asyncpg.Connection, session_id: UUID) -> CaptureSessionRow | None:
    row = await conn.fetchrow(
        "SELECT id, started_at, expires_at, used_at, source, track_width, track_height"
        " FROM capture_sessions WHERE id = $1 FOR UPDATE",
        session_id,
    )
    if row is None:
        return None
    track = VideoTrack(row["track_width"], row["track_height"]) if row["track_width"] is not None else None
    return CaptureSessionRow(
        session=CaptureSession(
            id=row["id"], started_at=row["started_at"], expires_at=row["expires_at"], source=row["source"], track=track
        ),
        used_at=row["used_at"],
    )


async def mark_capture_session_used(*, conn: asyncpg.Connection, session_id: UUID, used_at: datetime) -> None:
    await conn.execute("UPDATE capture_sessions SET used_at = $2 WHERE id = $1", session_id, used_at)


# -- what captures leave behind (capture/purge.py) ------------------------------------------

# Serialises the storing of one original file with its deletion by the purge (a two-key
# advisory lock: a keyspace apart from the single-key locks of the relay and housekeeping).
ORIGINAL_FILE_LOCK_CLASS = 0x5E1D


async def lock_original_file(*, conn: asyncpg.Connection, original_key: str) -> None:
    """Held until the caller's transaction ends: the purge neither deletes a file an upload is
    storing nor misses the row that upload is adding for it."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", ORIGINAL_FILE_LOCK_CLASS, original_key)


async def delete_unused_capture_sessions(*, conn: asyncpg.Connection, expired_before: datetime, limit: int) -> int:
    """Delete up to `limit` sessions never used whose window ended before `expired_before`;
    sessions an upload holds right now are skipped, not waited for."""
    return await conn.fetchval(
        """
        WITH gone AS (
            DELETE FROM capture_sessions WHERE id IN (
                SELECT s.id FROM capture_sessions s
                WHERE s.used_at IS NULL AND s.expires_at < $1
                  AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.capture_session_id = s.id)
                ORDER BY s.expires_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING 1)
        SELECT count(*) FROM gone
        """,
        expired_before,
        limit,
    )


async def claim_rejected_uploads(
    *, conn: asyncpg.Connection, uploaded_before: datetime, limit: int, purged_at: datetime
) -> list[str]:
    """Mark up to `limit` rejected uploads nobody attached, uploaded before `uploaded_before`,
    as having lost their original; returns their original files' keys, one per photo."""
    rows = await conn.fetch(
        """
        UPDATE photos SET original_purged_at = $3
        WHERE id IN (
            SELECT id FROM photos
            WHERE verdict = 'rejected' AND complaint_id IS NULL AND after_photo_of IS NULL
              AND original_purged_at IS NULL AND uploaded_at < $1
            ORDER BY uploaded_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
        RETURNING original_key
        """,
        uploaded_before,
        limit,
        purged_at,
    )
    return [row["original_key"] for row in rows]


async def original_still_used(*, conn: asyncpg.Connection, original_key: str) -> bool:
    """Originals are content-addressed: the same bytes uploaded twice share one file, which
    stays while any photo keeps its original."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM photos WHERE original_key = $1 AND original_purged_at IS NULL)", original_key
    )
