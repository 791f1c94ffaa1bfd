"""Notify's event handlers: each runs inside the consumer's transaction, so the deliveries it
records, the department-topic copies it queues in the outbox and the inbox claim commit
together.

Notify acts on an event about a complaint only once it knows the complaint was submitted
(intake's event). A routing may come first, since it travels on another topic; an event about a
complaint that was never submitted is forged (or lost its way). Either waits, parked, and is
handled when the submission arrives; what never gets one is purged by housekeeping. Who may
produce to which topic at all is the broker's business: see "Who may write to which topic" in
NOTIFY.md."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

import asyncpg
import structlog

from sigap_notify.events import planning, repository
from sigap_notify.events.audience import (
    department_audience,
    department_of,
    department_topic,
    leads,
    redact_for_department,
    supporters_after,
    without_free_texts,
)
from sigap_shared.events import Envelope, decode, encode, headers_from_json
from sigap_shared.outbox import OutboxRow

log = structlog.get_logger(__name__)


async def on_complaint_event(
    *, conn: asyncpg.Connection, envelope: Envelope, zone: tzinfo = planning.DEFAULT_ZONE
) -> None:
    """`zone`: the city's time zone (SIGAP_TIMEZONE), for the times messages show."""
    complaint_id = envelope.data.complaint_id
    # Whose staff mail has an address on file is asked with the complaint's facts (one round
    # trip) for the staff the event names; the lead department notify knows is asked too.
    named_department = department_of(envelope)
    facts = await repository.complaint_facts(
        conn=conn,
        complaint_id=complaint_id,
        staff=planning.staff_mailboxes(planning.plan(envelope, department=named_department, zone=zone)),
    )
    if facts.reporter_erased_at is not None:
        # An event still naming a reporter whose personal data is erased (on its way, parked or
        # redelivered): it is handled, or parked, as if it never named them. Its free texts, when
        # written before the erasure, go as the erasure took them from what notify already held;
        # one written after it is kept, as status and intake keep it.
        envelope = redact_for_department(envelope)
        if envelope.time <= facts.reporter_erased_at:
            envelope = without_free_texts(envelope)
    if not facts.submitted:
        await repository.park_event(
            conn=conn, event_id=envelope.id, complaint_id=complaint_id, event_type=envelope.type, record=encode(envelope)
        )
        log.info("event_parked_until_submission", event_type=envelope.type)
        return
    department = named_department or facts.department
    supporters = supporters_after(envelope)
    audience = department_audience(
        envelope,
        lead=department,
        # An event that does not say who supports the complaint goes to those notify knows.
        supporters=supporters if supporters is not None else facts.supporters if department is not None else (),
    )
    redacted = redact_for_department(envelope) if audience else None
    planned = planning.plan(envelope, department=department, zone=zone)
    on_file = facts.mail_on_file
    wanted = planning.staff_mailboxes(planned)
    if not (wanted.departments <= facts.asked.departments and wanted.officers <= facts.asked.officers):
        on_file = await repository.staff_mail_on_file(conn=conn, wanted=wanted)
    recorded = await repository.record_event(
        conn=conn,
        event_id=envelope.id,
        complaint_id=complaint_id,
        event_type=envelope.type,
        planned=planned,
        unreachable=planning.unreachable_staff_mail(planned, on_file=on_file),
        fan_outs=[
            fan_out
            for fan_out in planning.fan_outs(envelope, department=department, departments=tuple(audience), redacted=redacted)
            # No channel the reporter subscribed directly is told anything once they are erased.
            if not (facts.reporter_erased and fan_out.per == "subscription")
        ],
        department=department,
        leads=leads(envelope),
        supporters=supporters,
        department_copies=[
            OutboxRow.of(redacted, topic=topic)
            for topic in dict.fromkeys(department_topic(code) for code in audience)
        ]
        if redacted is not None
        else [],
    )
    log.debug("notifications_recorded", count=recorded, event_type=envelope.type)


async def on_complaints_submitted(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], zone: tzinfo = planning.DEFAULT_ZONE
) -> None:
    """Complaints intake accepted: from now on their events are acted on, starting with those
    that arrived before the submission, in the order they arrived."""
    released = await repository.know_submitted(
        conn=conn, complaint_ids=list(dict.fromkeys(envelope.data.complaint_id for envelope in envelopes))
    )
    for row in released:
        await on_complaint_event(
            conn=conn, envelope=decode(headers_from_json(row["headers"]), row["payload"]), zone=zone
        )
    if released:
        log.info("parked_events_released", count=len(released))
