"""Intake's SQL. Functions take a connection and never commit: the handler owns the transaction."""

from __future__ import annotations

import asyncpg

from sigap_intake.domain import AcceptedComplaint


async def insert_complaint(*, conn: asyncpg.Connection, complaint: AcceptedComplaint) -> bool:
    """False when the tracking code is already taken (the caller draws a new one)."""
    command = complaint.command
    reporter = command.reporter
    inserted = await conn.fetchval(
        """
        INSERT INTO complaints (
            id, tracking_code, follow_up_token_hash, kind, title, description, category,
            lat, lon, address, privacy, reporter_pseudonym, reporter_name, reporter_phone,
            reporter_email, submitted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
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
        reporter.name if reporter else None,
        reporter.phone if reporter else None,
        reporter.email if reporter else None,
        complaint.submitted_at,
    )
    return bool(inserted)
