"""Complaints, their retry keys and their tracking view in intake's database. Functions take
`*, conn` and never commit: the caller owns the transaction."""

from __future__ import annotations


from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_intake.domain import AcceptedComplaint
from sigap_shared.events import Envelope
from sigap_shared.outbox import add_to_outbox








async def insert_complaint(
    *,
    conn: asyncpg.Connection,
    complaint: AcceptedComplaint,
    sealed_identity: bytes | None,
    events: Sequence[Envelope],
) -> bool:
    """Store the complaint and queue its events (in the caller's transaction); False (and
    nothing written) when the tracking code is already taken (the caller draws a new one)."""
    command = complaint.command
    inserted = await conn.fetchval(
        """
        INSERT INTO complaints (
            id, tracking_code, follow_up_token_hash, kind, title, description, category,
            lat, lon, address, privacy, reporter_pseudonym, reporter_identity, photo_verdict,
            photo_gps_far, submitted_at, publicly_visible)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        ON CONFLICT (tracking_code) DO NOTHING
        RETURNING true
        """,
        complaint.id,
        complaint.tracking_code,
        complaint.follow_up_token_hash,
        command.kind,
        command.title,
        command.description,
        command.category,
        command.location.lat if command.location else None,
        command.location.lon if command.location else None,
        command.address,
        command.privacy,
        complaint.reporter_pseudonym,
        sealed_identity,
        complaint.photo_verdict,
        any(r.code == "gps_far_from_location" for p in complaint.photos for r in p.reasons),
        complaint.submitted_at,
        command.is_listed_publicly,
    )
    if not inserted:
        return False
    await add_to_outbox(conn=conn, envelopes=events)
    return True


async def sealed_identity_of(*, conn: asyncpg.Connection, complaint_id: UUID) -> bytes | None:
    sealed = await conn.fetchval("SELECT reporter_identity FROM complaints WHERE id = $1", complaint_id)
    return bytes(sealed) if sealed is not None else None


async def reported_location(*, conn: asyncpg.Connection, complaint_id: UUID) -> tuple[float, float] | None:
    """Where the reporter said the problem is; None when no location was given."""
    row = await conn.fetchrow("SELECT lat, lon FROM complaints WHERE id = $1", complaint_id)
    return (row["lat"], row["lon"]) if row is not None and row["lat"] is not None else None


async def tracked_complaint(*, conn: asyncpg.Connection, tracking_code: str, lock: bool = False):
    from sigap_intake.follow_up.rules import TrackedComplaint

    row = await conn.fetchrow(
        "SELECT id, tracking_code, follow_up_token_hash, privacy, publicly_visible, status, status_changed_at, rating,"
        " lapor_closed_at FROM complaints WHERE tracking_code = $1" + (" FOR UPDATE" if lock else ""),
        tracking_code,
    )
    if row is None:
        return None
    return TrackedComplaint(
        id=row["id"],
        tracking_code=row["tracking_code"],
        follow_up_token_hash=bytes(row["follow_up_token_hash"]),
        privacy=row["privacy"],
        publicly_visible=row["publicly_visible"],
        status=row["status"],
        status_changed_at=row["status_changed_at"],
        rating=row["rating"],
        lapor_closed_at=row["lapor_closed_at"],
    )


async def tracking_view(*, conn: asyncpg.Connection, complaint_id: UUID) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    complaint = await conn.fetchrow(
        "SELECT tracking_code, kind, title, description, category, address, privacy, publicly_visible, status, department,"
        " submitted_at, status_changed_at, resolution_note, after_photo_ids, photo_verdict, rating"
        " FROM complaints WHERE id = $1",
        complaint_id,
    )
    timeline = await conn.fetch(
        "SELECT event_type, status, department, note, occurred_at FROM tracking_timeline"
        " WHERE complaint_id = $1 ORDER BY occurred_at, event_id",
        complaint_id,
    )
    return complaint, list(timeline)


async def add_reporter_timeline_entry(
    *, conn: asyncpg.Connection, event_id: UUID, complaint_id: UUID, event_type: str, note: str, occurred_at: datetime
) -> None:
    """What the reporter did themselves (added information), in their own tracking timeline."""
    await conn.execute(
        "INSERT INTO tracking_timeline (event_id, complaint_id, event_type, note, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        event_id,
        complaint_id,
        event_type,
        note,
        occurred_at,
    )


async def set_rating(*, conn: asyncpg.Connection, complaint_id: UUID, rating: int) -> None:
    await conn.execute("UPDATE complaints SET rating = $2 WHERE id = $1", complaint_id, rating)
