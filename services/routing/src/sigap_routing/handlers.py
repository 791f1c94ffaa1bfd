"""Routing's handlers: the consumer's (inside the consumer's transaction) and the delegation
commands of the API (one transaction each). State, history and outbox row are written together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_routing import delegation, domain, repository
from sigap_routing.delegation import DelegationError
from sigap_routing.engine import RoutingEngine
from sigap_routing.metrics import ROUTING_DECISIONS
from sigap_shared.auth import StaffPrincipal
from sigap_shared.consumer import Handler
from sigap_shared.events import (
    ComplaintSubmitted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    Envelope,
)
from sigap_shared.outbox import add_to_outbox
from sigap_shared.problems import Text

log = structlog.get_logger(__name__)


class ComplaintSubmittedHandler:
    """Routes submitted complaints inside the consumer's transaction. The consumer hands it a
    whole poll at once (`handle_batch`), so a batch of complaints is recorded, with their history
    entries and ComplaintRouted events, in one statement."""

    def __init__(self, engine: RoutingEngine) -> None:
        self._engine = engine

    async def __call__(self, *, conn: asyncpg.Connection, envelope: Envelope) -> None:
        await self.handle_batch(conn=conn, envelopes=[envelope])

    async def handle_batch(self, *, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        now = datetime.now(UTC)
        records = []
        for envelope in envelopes:
            submitted = envelope.data
            assert isinstance(submitted, ComplaintSubmitted)
            decision = await self._engine.decide(
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
                decision = record.decision
                ROUTING_DECISIONS.labels(
                    department=decision.department, triage="yes" if decision.needs_triage else "no"
                ).inc()
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


def complaint_submitted_handler(engine: RoutingEngine) -> Handler:
    return ComplaintSubmittedHandler(engine)


async def _assignment(*, conn: asyncpg.Connection, complaint_id: UUID) -> delegation.Assignment:
    assignment = await repository.lock_assignment(conn=conn, complaint_id=complaint_id)
    if assignment is None:
        raise DelegationError(
            status=404,
            slug="not-found",
            title=Text("Pengaduan belum dirouting", "Complaint not routed yet"),
            detail=Text(
                f"Belum ada keputusan routing untuk pengaduan {complaint_id}.",
                f"No routing decision exists for complaint {complaint_id}.",
            ),
        )
    return assignment


async def transfer_complaint(
    *,
    conn: asyncpg.Connection,
    engine: RoutingEngine,
    complaint_id: UUID,
    to_department: str,
    reason: str,
    category: str | None,
    actor: StaffPrincipal,
) -> ComplaintTransferred:
    async with conn.transaction():
        assignment = await _assignment(conn=conn, complaint_id=complaint_id)
        taxonomy = await engine.taxonomy(conn=conn)
        if category is not None and category not in taxonomy.categories:
            raise DelegationError(
                status=422,
                slug="unknown-category",
                title=Text("Kategori tidak dikenal", "Unknown category"),
                detail=Text(
                    f"Kategori '{category}' tidak ada di taksonomi aktif.",
                    f"Category '{category}' is not in the active taxonomy.",
                ),
            )
        now = datetime.now(UTC)
        event = delegation.transfer(
            assignment,
            to_department=to_department,
            reason=reason,
            category=category,
            actor=actor,
            known_departments=taxonomy.departments,
            now=now,
        )
        envelope = Envelope(source=domain.SOURCE, data=event)
        await repository.save_assignment(
            conn=conn,
            complaint_id=complaint_id,
            lead=event.to_department,
            supporting=event.supporting_departments,
            at=now,
        )
        await repository.add_history(
            conn=conn,
            complaint_id=complaint_id,
            event_id=envelope.id,
            kind="transferred",
            transfer_kind=event.kind,
            from_department=event.from_department,
            to_department=event.to_department,
            category=category,
            reason=reason,
            actor=actor.username,
            actor_role=actor.role,
            at=now,
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info(
        "complaint_transferred",
        complaint_id=str(complaint_id),
        from_department=event.from_department,
        to_department=event.to_department,
        kind=event.kind,
    )
    return event


async def add_supporting_department(
    *,
    conn: asyncpg.Connection,
    engine: RoutingEngine,
    complaint_id: UUID,
    department: str,
    reason: str,
    actor: StaffPrincipal,
) -> ComplaintSupportAdded:
    async def decide(assignment: delegation.Assignment, now: datetime) -> ComplaintSupportAdded:
        taxonomy = await engine.taxonomy(conn=conn)
        return delegation.add_support(
            assignment,
            department=department,
            reason=reason,
            actor=actor,
            known_departments=taxonomy.departments,
            now=now,
        )

    return await _change_support(
        conn=conn,
        complaint_id=complaint_id,
        department=department,
        reason=reason,
        actor=actor,
        kind="support_added",
        decide=decide,
    )


async def remove_supporting_department(
    *, conn: asyncpg.Connection, complaint_id: UUID, department: str, reason: str, actor: StaffPrincipal
) -> ComplaintSupportRemoved:
    async def decide(assignment: delegation.Assignment, now: datetime) -> ComplaintSupportRemoved:
        return delegation.remove_support(assignment, department=department, reason=reason, actor=actor, now=now)

    return await _change_support(
        conn=conn,
        complaint_id=complaint_id,
        department=department,
        reason=reason,
        actor=actor,
        kind="support_removed",
        decide=decide,
    )


async def _change_support(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    department: str,
    reason: str,
    actor: StaffPrincipal,
    kind: str,
    decide: Callable[[delegation.Assignment, datetime], Awaitable[ComplaintSupportAdded | ComplaintSupportRemoved]],
) -> ComplaintSupportAdded | ComplaintSupportRemoved:
    """Joint handling changes: the new supporting set, its history row and its event, in one
    transaction."""
    async with conn.transaction():
        assignment = await _assignment(conn=conn, complaint_id=complaint_id)
        now = datetime.now(UTC)
        event = await decide(assignment, now)
        envelope = Envelope(source=domain.SOURCE, data=event)
        await repository.save_assignment(
            conn=conn, complaint_id=complaint_id, lead=assignment.lead, supporting=event.supporting_departments, at=now
        )
        await repository.add_history(
            conn=conn,
            complaint_id=complaint_id,
            event_id=envelope.id,
            kind=kind,
            from_department=assignment.lead,
            to_department=department,
            reason=reason,
            actor=actor.username,
            actor_role=actor.role,
            at=now,
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info("complaint_" + kind, complaint_id=str(complaint_id), department=department)
    return event
