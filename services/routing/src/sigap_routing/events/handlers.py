"""Routing's consumer handler: routes submitted complaints inside the consumer's transaction.
The consumer hands it a whole poll at once, so a batch of complaints is recorded, with their
history entries and ComplaintRouted events, in one statement. A complaint whose reporter intake
has already erased (the erasure can overtake the submission on Kafka) is decided on without the
reporter: neither the decision nor its ComplaintRouted names them."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_routing import domain, repository
from sigap_routing.engine import RoutingEngine
from sigap_routing.metrics import ROUTING_DECISIONS
from sigap_routing.personal_data import repository as personal_data
from sigap_shared import erasure
from sigap_shared.consumer import BatchHandler
from sigap_shared.events import ComplaintSubmitted, Envelope

log = structlog.get_logger(__name__)


async def on_complaints_submitted(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], engine: RoutingEngine
) -> None:
    now = datetime.now(UTC)
    complaint_ids = [envelope.data.complaint_id for envelope in envelopes]
    await personal_data.lock_complaints(conn=conn, complaint_ids=complaint_ids)
    erased = await erasure.erased_among(conn=conn, complaint_ids=complaint_ids)
    records = []
    for envelope in envelopes:
        submitted = envelope.data
        assert isinstance(submitted, ComplaintSubmitted)
        if submitted.complaint_id in erased and submitted.reporter is not None:
            submitted = submitted.model_copy(update={"reporter": None})
            envelope = dataclasses.replace(envelope, data=submitted)
        decision = await engine.decide(
            conn=conn,
            category=submitted.category,
            description=" ".join(part for part in (submitted.title, submitted.description) if part),
            location=submitted.location,
        )
        records.append(
            repository.DecisionRecord(
                event_id=envelope.id,
                complaint=submitted,
                decision=decision,
                routed=domain.routed_event(envelope, decision, now=now),
            )
        )
    recorded = await repository.record_decisions(conn=conn, records=records, decided_at=now)
    for record in records:
        if record.event_id in recorded:  # not when the complaint was routed before
            _count_and_log(record)


def _count_and_log(record: repository.DecisionRecord) -> None:
    decision = record.decision
    ROUTING_DECISIONS.labels(department=decision.department, triage="yes" if decision.needs_triage else "no").inc()
    log.info(
        "complaint_routed",
        complaint_id=str(record.complaint.complaint_id),
        event_id=str(record.event_id),
        correlation_id=record.routed.correlation_id,
        department=decision.department,
        category=decision.category,
        confidence=decision.confidence,
        needs_triage=decision.needs_triage,
        taxonomy_version=decision.taxonomy_version,
    )


def complaint_submitted_handler(engine: RoutingEngine) -> BatchHandler:
    """The handler the consumer runs for `ComplaintSubmitted`: batches go through
    `on_complaints_submitted` at once; a single event (the consumer's fallback) is a batch of one."""
    return BatchHandler(functools.partial(on_complaints_submitted, engine=engine))
