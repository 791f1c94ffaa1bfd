"""The escalation sweep: each step of a breached deadline's ladder is told once, as one
`ComplaintEscalated` with a timeline entry, when its working days have passed. Runs in the
SLA sweep's loop; replicas may sweep side by side (rows are claimed with SKIP LOCKED, and a
step already recorded for the breach is never recorded, nor published, again)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_shared.events import ComplaintEscalated, Envelope
from sigap_shared.outbox import add_to_outbox
from sigap_status.complaints.queries import TimelineEntry, add_timeline_entries
from sigap_status.escalation import queries
from sigap_status.escalation.rules import EscalationPolicy, due_steps, next_due_at, working_days_overdue
from sigap_status.lifecycle.rules import SOURCE, SYSTEM_ACTOR
from sigap_status.sla.queries import overdue_deadline
from sigap_status.sla.rules import WorkingCalendar

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Escalation:
    """What the sweep needs: the ladders and the working-day calendar they count in."""

    policy: EscalationPolicy
    calendar: WorkingCalendar


async def sweep_escalations(
    *, conn: asyncpg.Connection, escalation: Escalation, now: datetime | None = None, limit: int = 500
) -> int:
    """Tell every escalation step that is due, once; returns how many complaints were looked at
    (0 when none was due)."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        rows = await queries.claim_due(conn=conn, now=now, limit=limit)
        if not rows:
            return 0
        envelopes: list[Envelope] = []
        recorded: list[queries.EscalationRow] = []
        next_at: list[datetime | None] = []
        for row in rows:
            ladder = escalation.policy.ladder_for(department=row["department"], category=row["category"])
            fired = set(row["fired"])
            breached_at = row["sla_breached_at"]
            for due in due_steps(ladder, escalation.calendar, breached_at=breached_at, now=now, fired=fired):
                envelope = Envelope(
                    id=uuid.uuid4(),
                    source=SOURCE,
                    data=ComplaintEscalated(
                        **overdue_deadline(row),
                        category=row["category"],
                        step=due.step.name,
                        step_number=due.number,
                        breached_at=breached_at,
                        escalated_at=now,
                        working_days_overdue=working_days_overdue(
                            escalation.calendar, due_at=row["sla_due_at"], now=now
                        ),
                    ),
                )
                envelopes.append(envelope)
                recorded.append(
                    queries.EscalationRow(
                        complaint_id=row["id"],
                        breached_at=breached_at,
                        step=due.step.name,
                        step_number=due.number,
                        department=row["department"] or "",
                        stage=row["sla_stage"],
                        due_at=row["sla_due_at"],
                        escalated_at=now,
                        event_id=envelope.id,
                    )
                )
                fired.add(due.step.name)
            next_at.append(next_due_at(ladder, escalation.calendar, breached_at=breached_at, fired=fired))
        new = await queries.record_escalations(conn=conn, escalations=recorded)
        told = [envelope for envelope in envelopes if envelope.id in new]
        await queries.set_next_due(conn=conn, complaint_ids=[row["id"] for row in rows], next_at=next_at)
        await add_timeline_entries(conn=conn, entries=[_timeline_entry(envelope) for envelope in told])
        await add_to_outbox(conn=conn, envelopes=told)
    if told:
        log.info("escalations_reported", count=len(told))
    return len(rows)


def _timeline_entry(envelope: Envelope) -> TimelineEntry:
    escalated = envelope.data
    assert isinstance(escalated, ComplaintEscalated)
    detail = {
        "step": escalated.step,
        "step_number": escalated.step_number,
        "stage": escalated.stage,
        "due_at": escalated.due_at,
        "working_days_overdue": escalated.working_days_overdue,
    }
    return TimelineEntry.of(envelope, at=escalated.escalated_at, actor=SYSTEM_ACTOR, detail=detail)
