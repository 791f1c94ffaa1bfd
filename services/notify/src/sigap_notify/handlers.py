"""Notify's event handlers: each runs inside the consumer's transaction, so the deliveries it
records, the department-topic copy it queues in the outbox and the inbox claim commit together."""

from __future__ import annotations

import asyncpg
import structlog

from sigap_notify import domain, repository
from sigap_shared.events import Envelope, encode_to_topic

log = structlog.get_logger(__name__)


async def on_complaint_event(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    department = domain.department_of(envelope)
    if department is None:
        department = await repository.complaint_department(conn=conn, complaint_id=envelope.data.complaint_id)
    department_record = (
        encode_to_topic(domain.redact_for_department(envelope), domain.department_topic(department))
        if department is not None
        else None
    )
    recorded = await repository.record_event(
        conn=conn,
        event_id=envelope.id,
        complaint_id=envelope.data.complaint_id,
        event_type=envelope.type,
        planned=domain.plan(envelope, department=department),
        fan_outs=domain.fan_outs(envelope, department=department),
        department=department,
        department_record=department_record,
        leads=domain.leads(envelope),
    )
    log.debug("notifications_recorded", count=recorded, event_type=envelope.type)
