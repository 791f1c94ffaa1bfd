"""Status's event handlers: each runs inside the consumer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_shared.events import ComplaintRouted, ComplaintStatusChanged, ComplaintSubmitted, Envelope
from sigap_shared.outbox import add_to_outbox
from sigap_status import domain, repository

log = structlog.get_logger(__name__)


async def on_complaint_submitted(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    submitted = envelope.data
    assert isinstance(submitted, ComplaintSubmitted)
    await repository.upsert_submitted(
        conn=conn,
        complaint_id=submitted.complaint_id,
        tracking_code=submitted.tracking_code,
        kind=submitted.kind,
        category=submitted.category,
        submitted_at=submitted.submitted_at,
    )
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=submitted.complaint_id,
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=submitted.submitted_at,
        actor="pelapor",
        detail={"kind": submitted.kind, "category": submitted.category, "privacy": submitted.privacy},
    )


async def on_complaint_routed(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    routed = envelope.data
    assert isinstance(routed, ComplaintRouted)
    previous_status = await repository.place_at_department(
        conn=conn,
        complaint_id=routed.complaint_id,
        tracking_code=routed.tracking_code,
        department=routed.department,
        category=routed.category,
    )
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=routed.complaint_id,
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=routed.routed_at,
        actor="sistem",
        detail={
            "department": routed.department,
            "category": routed.category,
            "confidence": routed.confidence,
            "needs_triage": routed.needs_triage,
            "reasons": list(routed.reasons),
        },
    )
    if previous_status is not None:
        return
    received = domain.received_event(envelope, now=datetime.now(UTC))
    change = received.data
    assert isinstance(change, ComplaintStatusChanged)
    await repository.set_status(conn=conn, complaint_id=routed.complaint_id, status=change.status)
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=routed.complaint_id,
        event_id=received.id,
        event_type=received.type,
        occurred_at=change.changed_at,
        actor=change.actor,
        detail={"from": change.previous_status, "to": change.status, "department": change.department},
    )
    await add_to_outbox(conn=conn, envelopes=[received])
    log.info("complaint_received_at_department", department=routed.department)
