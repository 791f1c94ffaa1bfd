"""The events the lifecycle announces besides a status change decided by `rules`: a complaint
received at its department, an officer assigned or released, a message to the reporter. Pure."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sigap_shared.events import (
    ComplaintAssigned,
    ComplaintReporterMessagePosted,
    ComplaintStatusChanged,
    Envelope,
    ReporterRef,
)
from sigap_status.complaints.queries import TimelineEntry
from sigap_status.lifecycle.rules import SOURCE, SYSTEM_ACTOR, ComplaintView, check_transition

# Timeline entries that are not events on Kafka; the internal ones never reach the public view.
NOTE_EVENT_TYPES = {"internal": "sigap.status.internal_note", "reporter": "sigap.status.reporter_message"}
IDENTITY_VIEWED = "sigap.status.identity_viewed"
DUPLICATE_MERGED = "sigap.status.duplicate_merged"
ASSIGNMENT_CHANGED = "sigap.status.assignment_changed"
INTERNAL_EVENT_TYPES = frozenset({NOTE_EVENT_TYPES["internal"], ASSIGNMENT_CHANGED, IDENTITY_VIEWED, DUPLICATE_MERGED})


def assignment_event(
    complaint: ComplaintView,
    *,
    officer: str | None,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """Assigning, reassigning or (officer None) unassigning a field officer."""
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintAssigned(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            department=complaint.department or "",
            officer=officer,
            previous_officer=complaint.assigned_officer,
            actor=actor_name,
            actor_role=actor_role,
            assigned_at=now,
        ),
    )


def officer_released_event(
    *,
    complaint_id: UUID,
    tracking_code: str,
    department: str,
    officer: str,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """The complaint left `department` (a transfer), so its field officer no longer has it:
    an unassignment as that department saw the complaint."""
    before = ComplaintView(
        id=complaint_id, tracking_code=tracking_code, status=None, department=department, version=0, assigned_officer=officer
    )
    return assignment_event(
        before, officer=None, actor_name=actor_name, actor_role=actor_role, now=now, correlation_id=correlation_id
    )


def assignment_entry(envelope: Envelope) -> TimelineEntry:
    """The internal timeline entry of an assignment change (who had it, who has it now)."""
    assigned = envelope.data
    assert isinstance(assigned, ComplaintAssigned)
    return TimelineEntry(
        complaint_id=assigned.complaint_id,
        event_id=envelope.id,
        event_type=ASSIGNMENT_CHANGED,
        occurred_at=assigned.assigned_at,
        actor=assigned.actor,
        detail={"from": assigned.previous_officer, "to": assigned.officer, "actor_role": assigned.actor_role},
    )


def reporter_message_event(
    complaint: ComplaintView,
    *,
    message_id: UUID,
    body: str,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """A message from the department to the reporter, addressed by pseudonym and channels.
    The envelope's id is the timeline entry's id, so the two can be matched."""
    return Envelope(
        id=message_id,
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintReporterMessagePosted(
            complaint_id=complaint.id,
            message_id=message_id,
            tracking_code=complaint.tracking_code,
            department=complaint.department or "",
            body=body,
            actor=actor_name,
            actor_role=actor_role,
            reporter=complaint.reporter,
            posted_at=now,
        ),
    )




def received_event(
    *,
    complaint_id: UUID,
    tracking_code: str,
    department: str,
    reporter: ReporterRef | None,
    correlation_id: str | None,
    now: datetime,
) -> Envelope:
    """A complaint status knows both the submission and the routing of is received
    (`diterima`) at its department."""
    check_transition(None, "diterima")
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintStatusChanged(
            complaint_id=complaint_id,
            tracking_code=tracking_code,
            department=department,
            previous_status=None,
            status="diterima",
            actor=SYSTEM_ACTOR,
            reporter=reporter,
            changed_at=now,
        ),
    )
