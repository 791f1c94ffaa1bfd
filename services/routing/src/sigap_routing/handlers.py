"""Routing's event handlers: each runs inside the consumer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_routing import domain, repository
from sigap_shared.events import ComplaintSubmitted, Envelope
from sigap_shared.outbox import add_to_outbox

log = structlog.get_logger(__name__)


async def on_complaint_submitted(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    submitted = envelope.data
    assert isinstance(submitted, ComplaintSubmitted)
    decision = domain.decide(category=submitted.category)
    now = datetime.now(UTC)
    if not await repository.record_decision(
        conn=conn, complaint_id=submitted.complaint_id, event_id=envelope.id, decision=decision, decided_at=now
    ):
        return
    await add_to_outbox(conn=conn, envelopes=[domain.routed_event(envelope, decision, now=now)])
    log.info(
        "complaint_routed",
        department=decision.department,
        category=decision.category,
        needs_triage=decision.needs_triage,
    )
