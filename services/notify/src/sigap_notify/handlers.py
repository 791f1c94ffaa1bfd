"""Notify's event handlers and commands: each runs inside one transaction (the consumer's, for
events), so the deliveries it records, the department-topic copies it queues in the outbox and
the inbox claim commit together.

Notify acts on an event about a complaint only once it knows the complaint was submitted
(intake's event). A routing may come first, since it travels on another topic; an event about a
complaint that was never submitted is forged (or lost its way). Either waits, parked, and is
handled when the submission arrives; what never gets one is purged by housekeeping. Who may
produce to which topic at all is the broker's business: see "Who may write to which topic" in
NOTIFY.md."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

import asyncpg
import structlog

from sigap_notify import domain, repository
from sigap_notify.sealing import SecretBox
from sigap_shared.events import Envelope, decode, encode, headers_from_json
from sigap_shared.outbox import OutboxRow

log = structlog.get_logger(__name__)


async def on_complaint_event(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    complaint_id = envelope.data.complaint_id
    # Whose staff mail has an address on file is asked with the complaint's facts (one round
    # trip) for the staff the event names; the lead department notify knows is asked too.
    named_department = domain.department_of(envelope)
    facts = await repository.complaint_facts(
        conn=conn,
        complaint_id=complaint_id,
        staff=domain.staff_mailboxes(domain.plan(envelope, department=named_department)),
    )
    if not facts.submitted:
        await repository.park_event(
            conn=conn, event_id=envelope.id, complaint_id=complaint_id, event_type=envelope.type, record=encode(envelope)
        )
        log.info("event_parked_until_submission", event_type=envelope.type)
        return
    department = named_department or facts.department
    supporters = domain.supporters_after(envelope)
    audience = domain.department_audience(
        envelope,
        lead=department,
        # An event that does not say who supports the complaint goes to those notify knows.
        supporters=supporters if supporters is not None else facts.supporters if department is not None else (),
    )
    redacted = domain.redact_for_department(envelope) if audience else None
    planned = domain.plan(envelope, department=department)
    on_file = facts.mail_on_file
    wanted = domain.staff_mailboxes(planned)
    if not (wanted.departments <= facts.asked.departments and wanted.officers <= facts.asked.officers):
        on_file = await repository.staff_mail_on_file(conn=conn, wanted=wanted)
    recorded = await repository.record_event(
        conn=conn,
        event_id=envelope.id,
        complaint_id=complaint_id,
        event_type=envelope.type,
        planned=planned,
        unreachable=domain.unreachable_staff_mail(planned, on_file=on_file),
        fan_outs=domain.fan_outs(envelope, department=department, departments=tuple(audience), redacted=redacted),
        department=department,
        leads=domain.leads(envelope),
        supporters=supporters,
        department_copies=[
            OutboxRow.of(redacted, topic=topic)
            for topic in dict.fromkeys(domain.department_topic(code) for code in audience)
        ]
        if redacted is not None
        else [],
    )
    log.debug("notifications_recorded", count=recorded, event_type=envelope.type)


async def on_complaints_submitted(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    """Complaints intake accepted: from now on their events are acted on, starting with those
    that arrived before the submission, in the order they arrived."""
    released = await repository.know_submitted(
        conn=conn, complaint_ids=list(dict.fromkeys(envelope.data.complaint_id for envelope in envelopes))
    )
    for row in released:
        await on_complaint_event(conn=conn, envelope=decode(headers_from_json(row["headers"]), row["payload"]))
    if released:
        log.info("parked_events_released", count=len(released))


async def seal_legacy_webhook_secrets(*, conn: asyncpg.Connection, box: SecretBox) -> int:
    """Encrypt the webhook secrets stored in plaintext before secrets were sealed (run at
    start-up, in one transaction; replicas starting together wait on the row locks)."""
    rows = await repository.lock_legacy_webhook_secrets(conn=conn)
    for row in rows:
        await repository.seal_webhook_secret(
            conn=conn,
            subscription_id=row["id"],
            secret_sealed=box.seal(row["legacy_secret"], webhook_id=row["id"]),
        )
    if rows:
        log.info("legacy_webhook_secrets_sealed", count=len(rows))
    return len(rows)


async def subscribe_reporter(
    *,
    conn: asyncpg.Connection,
    box: SecretBox,
    tracking_code: str,
    complaint_id: UUID,
    channel: str,
    address: str,
    language: str,
) -> UUID:
    """Store (or replace) a reporter's direct subscription; the address only ever sealed."""
    return await repository.upsert_subscription(
        conn=conn,
        subscription_id=uuid.uuid4(),
        tracking_code=tracking_code,
        complaint_id=complaint_id,
        channel=channel,
        address_sealed=box.seal_address(address, tracking_code=tracking_code, channel=channel),
        language=language,
    )


async def seal_legacy_subscription_addresses(*, conn: asyncpg.Connection, box: SecretBox) -> int:
    """Encrypt the subscribed addresses stored in plaintext before addresses were sealed (run
    at start-up with the webhook secrets, in the same transaction)."""
    rows = await repository.lock_legacy_subscription_addresses(conn=conn)
    for row in rows:
        await repository.seal_subscription_address(
            conn=conn,
            subscription_id=row["id"],
            address_sealed=box.seal_address(
                row["legacy_address"], tracking_code=row["tracking_code"], channel=row["channel"]
            ),
        )
    if rows:
        log.info("legacy_subscription_addresses_sealed", count=len(rows))
    return len(rows)
