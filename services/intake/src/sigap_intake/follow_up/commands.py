"""The reporter's follow-up (more information, a rating, a request to reopen): one transaction
each, with its outbox row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from sigap_intake import domain
from sigap_intake.complaints import repository as complaint_repository
from sigap_intake.follow_up import rules as follow_up
from sigap_intake.photos import repository as photo_repository
from sigap_intake.photos.checks import PhotoPolicy
from sigap_intake.photos.judging import judge_photos
from sigap_shared.events import (
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    Envelope,
)
from sigap_shared.outbox import add_to_outbox

log = structlog.get_logger(__name__)

FollowUpEvent = ComplaintInformationAdded | ComplaintRated | ComplaintReopenRequested


async def _owned(*, conn: asyncpg.Connection, tracking_code: str, token: str | None) -> follow_up.TrackedComplaint:
    complaint = await complaint_repository.tracked_complaint(conn=conn, tracking_code=tracking_code, lock=True)
    if complaint is None:
        raise follow_up.not_found()
    complaint.check_owner(token)
    return complaint


async def add_information(
    *,
    conn: asyncpg.Connection,
    tracking_code: str,
    token: str | None,
    text: str,
    photo_ids: tuple[UUID, ...],
    policy: PhotoPolicy,
) -> Envelope:
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_add_information(complaint)
        row, _ = await complaint_repository.tracking_view(conn=conn, complaint_id=complaint.id)  # type: ignore[arg-type]
        photos = await judge_photos(
            conn=conn,
            photo_ids=photo_ids,
            category=row["category"],
            reported=await complaint_repository.reported_location(conn=conn, complaint_id=complaint.id),  # type: ignore[arg-type]
            policy=policy,
        )
        if photos:
            await photo_repository.attach_photos(
                conn=conn, complaint_id=complaint.id, photos=photos  # type: ignore[arg-type]
            )
        added = ComplaintInformationAdded(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            text=text,
            photos=tuple(photo.evidence() for photo in photos),
            added_at=datetime.now(UTC),
        )
        envelope = await _announce(conn=conn, event=added)
        await add_to_outbox(
            conn=conn,
            envelopes=domain.photo_verified_events(
                complaint_id=complaint.id,  # type: ignore[arg-type]
                tracking_code=complaint.tracking_code,
                photos=photos,
                verified_at=added.added_at,
            ),
        )
        # Shown in the reporter's own tracking timeline (to whoever sees the description).
        await complaint_repository.add_reporter_timeline_entry(
            conn=conn,
            event_id=envelope.id,
            complaint_id=complaint.id,  # type: ignore[arg-type]
            event_type=envelope.type,
            note=text,
            occurred_at=added.added_at,
        )
    log.info("complaint_information_added", complaint_id=str(complaint.id), photos=len(photos))
    return envelope


async def rate(
    *, conn: asyncpg.Connection, tracking_code: str, token: str | None, rating: int, comment: str | None
) -> Envelope:
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_rate(complaint)
        await complaint_repository.set_rating(conn=conn, complaint_id=complaint.id, rating=rating)  # type: ignore[arg-type]
        rated = ComplaintRated(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            rating=rating,
            comment=comment,
            rated_at=datetime.now(UTC),
        )
        envelope = await _announce(conn=conn, event=rated)
    log.info("complaint_rated", complaint_id=str(complaint.id), rating=rating)
    return envelope


async def request_reopen(
    *, conn: asyncpg.Connection, tracking_code: str, token: str | None, reason: str, window_days: int
) -> Envelope:
    now = datetime.now(UTC)
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_reopen(complaint, now=now, window=timedelta(days=window_days))
        requested = ComplaintReopenRequested(
            complaint_id=complaint.id, tracking_code=complaint.tracking_code, reason=reason, requested_at=now
        )
        envelope = await _announce(conn=conn, event=requested)
    log.info("complaint_reopen_requested", complaint_id=str(complaint.id))
    return envelope


async def _announce(*, conn: asyncpg.Connection, event: FollowUpEvent) -> Envelope:
    """The reporter's follow-up as an event, in the outbox of the command's transaction."""
    envelope = Envelope(source=domain.SOURCE, data=event)
    await add_to_outbox(conn=conn, envelopes=[envelope])
    return envelope
