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
