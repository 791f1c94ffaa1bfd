"""Delegation commands (one transaction each): transfer of the lead department and joint
handling. The new assignment, its history row and its event are written together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_routing import domain, repository
from sigap_routing.delegation import rules
from sigap_routing.engine import RoutingEngine
from sigap_routing.personal_data import repository as personal_data
from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import DomainError, Text
from sigap_shared.events import (
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    Envelope,
)
from sigap_shared.outbox import add_to_outbox

log = structlog.get_logger(__name__)

Delegation = ComplaintTransferred | ComplaintSupportAdded | ComplaintSupportRemoved


async def _assignment(*, conn: asyncpg.Connection, complaint_id: UUID) -> rules.Assignment:
    # The erasure's lock first (as the erasure takes it): a delegation is then wholly before a
    # reporter's erasure (its reason is emptied) or after it (its reason is kept), never between.
    await personal_data.lock_complaints(conn=conn, complaint_ids=[complaint_id])
    assignment = await repository.lock_assignment(conn=conn, complaint_id=complaint_id)
    if assignment is None:
        raise DomainError(
            "complaint-not-routed",
            Text(
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
            raise DomainError(
                "unknown-category",
                Text(
                    f"Kategori '{category}' tidak ada di taksonomi aktif.",
                    f"Category '{category}' is not in the active taxonomy.",
                ),
            )
        now = datetime.now(UTC)
        event = rules.transfer(
            assignment,
            to_department=to_department,
            reason=reason,
            category=category,
            actor=actor,
            known_departments=taxonomy.departments,
            now=now,
        )
        await _record(conn=conn, event=event, at=now)
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
    async def decide(assignment: rules.Assignment, now: datetime) -> ComplaintSupportAdded:
        taxonomy = await engine.taxonomy(conn=conn)
        known = taxonomy.departments
        return rules.add_support(
            assignment, department=department, reason=reason, actor=actor, known_departments=known, now=now
        )

    change = {"complaint_id": complaint_id, "department": department, "reason": reason, "actor": actor}
    return await _change_support(conn=conn, **change, kind="support_added", decide=decide)


async def remove_supporting_department(
    *, conn: asyncpg.Connection, complaint_id: UUID, department: str, reason: str, actor: StaffPrincipal
) -> ComplaintSupportRemoved:
    async def decide(assignment: rules.Assignment, now: datetime) -> ComplaintSupportRemoved:
        return rules.remove_support(assignment, department=department, reason=reason, actor=actor, now=now)

    change = {"complaint_id": complaint_id, "department": department, "reason": reason, "actor": actor}
    return await _change_support(conn=conn, **change, kind="support_removed", decide=decide)


async def _change_support(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    department: str,
    reason: str,
    actor: StaffPrincipal,
    kind: str,
    decide: Callable[[rules.Assignment, datetime], Awaitable[ComplaintSupportAdded | ComplaintSupportRemoved]],
) -> ComplaintSupportAdded | ComplaintSupportRemoved:
    """Joint handling changes: the new supporting set, its history row and its event, in one
    transaction."""
    async with conn.transaction():
        assignment = await _assignment(conn=conn, complaint_id=complaint_id)
        now = datetime.now(UTC)
        event = await decide(assignment, now)
        await _record(conn=conn, event=event, at=now)
    log.info("complaint_" + kind, complaint_id=str(complaint_id), department=department)
    return event


async def _record(*, conn: asyncpg.Connection, event: Delegation, at: datetime) -> None:
    """Write a delegation change in the caller's transaction: the complaint's lead and
    supporting departments after it, its history row (read off the event) and the event."""
    envelope = Envelope(source=domain.SOURCE, data=event)
    transfer_kind: str | None = None
    category: str | None = None
    if isinstance(event, ComplaintTransferred):
        kind, lead, from_department, to_department = (
            "transferred", event.to_department, event.from_department, event.to_department
        )
        transfer_kind, category = event.kind, event.category
    else:
        kind = "support_added" if isinstance(event, ComplaintSupportAdded) else "support_removed"
        lead, from_department, to_department = event.lead_department, event.lead_department, event.department
    await repository.save_assignment(
        conn=conn, complaint_id=event.complaint_id, lead=lead, supporting=event.supporting_departments, at=at
    )
    await repository.add_history(
        conn=conn, complaint_id=event.complaint_id, event_id=envelope.id, kind=kind, transfer_kind=transfer_kind,
        from_department=from_department, to_department=to_department, category=category,
        reason=event.reason, actor=event.actor, actor_role=event.actor_role, at=at,
    )
    await add_to_outbox(conn=conn, envelopes=[envelope])
