"""Erasing what notify holds about a complaint's reporter (UU 27/2022), when intake erases the
reporter's personal data: their direct subscriptions (sealed addresses), who their deliveries
were for and where they went, the pseudonym in events parked until the submission arrives and
in the outbox, and the free texts (`rules`) of every message about the complaint, whoever it
was for, of parked events and of the outbox's department copies, up to the erasure, and the
error replies of its deliveries (a receiver's reply may quote the text). The
erasure is remembered per complaint (`erased_reporters`), also for a complaint notify has not
heard of yet, so a later event plans nothing for the reporter nor, when it was written before
the erasure, any free text (`events.handlers`), and no new direct subscription is taken
(`reporter.commands`). As at status and intake, a text written after the erasure is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_notify.personal_data import repository
from sigap_shared import erasure

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReporterErased:
    complaint_id: UUID
    subscriptions_erased: int
    messages_cleared: int
    message_texts_cleared: int
    delivery_errors_cleared: int
    parked_events_cleared: int
    outbox_events_cleared: int
    reporter_erased_at: datetime


async def erase_reporter(*, conn: asyncpg.Connection, complaint_id: UUID, now: datetime | None = None) -> ReporterErased:
    """Idempotent: a second erasure finds nothing left and keeps the first one's time."""
    async with conn.transaction():
        erased_at = await erasure.remember_erasure(conn=conn, complaint_id=complaint_id, at=now or datetime.now(UTC))
        subscriptions = await repository.delete_subscriptions(conn=conn, complaint_id=complaint_id)
        messages = await repository.clear_reporter_messages(conn=conn, complaint_id=complaint_id)
        texts = await repository.clear_message_texts(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
        errors = await repository.clear_delivery_errors(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
        parked = await repository.clear_parked_events(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
        outbox = await repository.clear_outbox(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
    log.info(
        "reporter_erased",
        complaint_id=str(complaint_id),
        subscriptions_erased=subscriptions,
        messages_cleared=messages,
        message_texts_cleared=texts,
        delivery_errors_cleared=errors,
        parked_events_cleared=parked,
    )
    return ReporterErased(
        complaint_id=complaint_id,
        subscriptions_erased=subscriptions,
        messages_cleared=messages,
        message_texts_cleared=texts,
        delivery_errors_cleared=errors,
        parked_events_cleared=parked,
        outbox_events_cleared=outbox,
        reporter_erased_at=erased_at,
    )
