"""Notify's event handlers: each runs inside the consumer's transaction."""

from __future__ import annotations

import asyncpg
import structlog

from sigap_notify import domain, repository
from sigap_shared.events import Envelope

log = structlog.get_logger(__name__)


async def on_complaint_event(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    planned = domain.plan(envelope)
    recorded = await repository.record_notifications(
        conn=conn,
        event_id=envelope.id,
        complaint_id=envelope.data.complaint_id,
        event_type=envelope.type,
        planned=planned,
    )
    if recorded:
        log.info("notifications_recorded", count=recorded, event_type=envelope.type)
