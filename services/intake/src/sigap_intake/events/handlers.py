"""Intake's consumer handlers: what a reporter sees when tracking (the department and status other
services announce), recorded a batch at a time inside the consumer's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from sigap_intake.events import repository
from sigap_intake.follow_up.rules import AUTO_CLOSE_NOTE
from sigap_intake.privacy import repository as privacy
from sigap_shared.consumer import distinct_complaint_runs
from sigap_shared.events import (
    AUTO_CLOSE_REASON,
    ComplaintRouted,
    ComplaintStatusChanged,
    Envelope,
)


def _routing_announcement(envelope: Envelope) -> repository.Announcement:
    routed = envelope.data
    assert isinstance(routed, ComplaintRouted)
    identity = {"event_id": envelope.id, "complaint_id": routed.complaint_id, "event_type": envelope.type}
    return repository.Announcement(**identity, occurred_at=routed.routed_at, department=routed.department)


def _status_announcement(envelope: Envelope) -> repository.Announcement:
    changed = envelope.data
    assert isinstance(changed, ComplaintStatusChanged)
    lapor_closed = changed.status == "selesai" and changed.reason == AUTO_CLOSE_REASON
    # Only what staff wrote for the reporter is public: the reason (e.g. why rejected) and
    # the resolution note; internal notes stay with the status service. The auto-close carries
    # the follow-up's resolution note again, so its entry says why it closed instead.
    public_note = AUTO_CLOSE_NOTE if lapor_closed else changed.resolution_note or changed.reason
    return repository.Announcement(
        event_id=envelope.id,
        complaint_id=changed.complaint_id,
        event_type=envelope.type,
        occurred_at=changed.changed_at,
        department=changed.department,
        status=changed.status,
        public_note=public_note,
        resolution_note=changed.resolution_note,
        after_photo_ids=",".join(str(photo_id) for photo_id in changed.after_photo_ids),
        lapor_closed=lapor_closed,
    )


async def _lock(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    """Wait for a reporter's erasure committing at the same moment, so a change's note does not
    slip past it (privacy/repository.py). Both handlers lock before they touch a complaint's row:
    a poll may hold a complaint's row from one run while it waits for the lock in another, and an
    erasure takes the lock before the row, so neither ever waits for the other in a circle."""
    await privacy.lock_complaints(conn=conn, complaint_ids=[envelope.data.complaint_id for envelope in envelopes])  # type: ignore[union-attr]


async def on_complaints_routed(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    await _lock(conn=conn, envelopes=envelopes)
    for run in distinct_complaint_runs(envelopes):
        await repository.record_routings(conn=conn, announcements=[_routing_announcement(e) for e in run])


async def on_status_changes(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    await _lock(conn=conn, envelopes=envelopes)
    for run in distinct_complaint_runs(envelopes):
        await repository.record_status_changes(conn=conn, announcements=[_status_announcement(e) for e in run])
