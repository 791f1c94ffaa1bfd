"""Submitting a complaint, in one transaction with its outbox row and, when the client sent an
`Idempotency-Key`, the stored result that answers its retries; attached photos are judged
again against the complaint's category and location."""

from __future__ import annotations


import dataclasses
import uuid
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_intake.photos.judging import judge_photos
from sigap_intake import retries
from sigap_intake.photos import repository as photo_repository
from sigap_intake.complaints import repository
from sigap_intake import domain
from sigap_intake.photos.checks import PhotoPolicy
from sigap_intake.sealing import Sealer

log = structlog.get_logger(__name__)








def _identity(command: domain.SubmitComplaint) -> dict[str, str | None] | None:
    reporter = command.reporter
    if reporter is None or reporter.is_empty:
        return None
    return {"name": reporter.name, "phone": reporter.phone, "email": reporter.email}


async def submit_complaint(
    *,
    conn: asyncpg.Connection,
    command: domain.SubmitComplaint,
    sealer: Sealer,
    policy: PhotoPolicy = PhotoPolicy(),
    correlation_id: str | None = None,
    retry: domain.RetryKey | None = None,
    retry_ttl_s: int = 24 * 3600,
) -> retries.Outcome:
    complaint = domain.accept(
        command,
        complaint_id=uuid.uuid4(),
        now=datetime.now(UTC),
        min_photos=policy.min_photos,
        max_photos=policy.max_photos,
    )
    async with conn.transaction():
        replay = await retries.replay_or_claim(conn=conn, retry=retry, sealer=sealer, ttl_s=retry_ttl_s)
        if replay is not None:
            return replay
        photos = await judge_photos(
            conn=conn,
            photo_ids=command.photo_ids,
            category=command.category,
            reported=(command.location.lat, command.location.lon) if command.location else None,
            policy=policy,
        )
        complaint = await _store(
            conn=conn,
            complaint=dataclasses.replace(complaint, photos=photos),
            sealer=sealer,
            correlation_id=correlation_id,
        )
        if photos:
            await photo_repository.attach_photos(conn=conn, complaint_id=complaint.id, photos=photos)
        outcome = retries.Outcome(status_code=201, body=domain.ComplaintReceipt.of(complaint).to_json())
        await retries.remember(conn=conn, retry=retry, sealer=sealer, outcome=outcome)
    log.info(
        "complaint_submitted",
        complaint_id=str(complaint.id),
        tracking_code=complaint.tracking_code,
        privacy=command.privacy,
        photos=len(complaint.photos),
        photo_verdict=complaint.photo_verdict,
    )
    return outcome


async def _store(
    *, conn: asyncpg.Connection, complaint: domain.AcceptedComplaint, sealer: Sealer, correlation_id: str | None
) -> domain.AcceptedComplaint:
    """Store the complaint with its ComplaintSubmitted event, drawing a new tracking code
    while the drawn one is taken; returns the complaint as stored."""
    identity = _identity(complaint.command)
    sealed_identity = sealer.seal(identity, bound_to=complaint.id.bytes) if identity else None
    while not await repository.insert_complaint(
        conn=conn,
        complaint=complaint,
        sealed_identity=sealed_identity,
        events=[
            domain.submitted_event(complaint, correlation_id=correlation_id),
            # Each photo's verdict as judged against the complaint's location, for whoever
            # follows the evidence rather than the complaint.
            *domain.photo_verified_events(
                complaint_id=complaint.id,
                tracking_code=complaint.tracking_code,
                photos=complaint.photos,
                verified_at=complaint.submitted_at,
                correlation_id=correlation_id,
            ),
        ],
    ):
        complaint = dataclasses.replace(complaint, tracking_code=domain.new_tracking_code())
    return complaint






