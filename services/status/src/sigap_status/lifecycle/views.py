"""How staff see a complaint: its fields, SLA countdown, the transitions the caller may make
now, and (on the complaint page) its full timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel

from sigap_shared.auth import StaffPrincipal
from sigap_status.complaints.visibility import complaint_view
from sigap_status.lapor.rules import LaporPolicy, stage_of
from sigap_status.lifecycle.rules import NotPermitted, allowed_transitions, check_may_act
from sigap_status.sla.rules import WorkingCalendar, sla_state, working_days_left


class StaffTimelineEntry(BaseModel):
    event_id: UUID
    type: str
    at: datetime
    actor: str
    detail: dict[str, Any]


class ComplaintBasics(BaseModel):
    """What every staff view of a complaint starts with."""

    id: UUID
    tracking_code: str
    kind: str | None
    category: str | None
    title: str | None
    description: str | None
    address: str | None
    kelurahan: str | None


class StaffComplaintOut(ComplaintBasics):
    lat: float | None = None
    lon: float | None = None
    privacy: str | None
    department: str | None
    supporting_departments: list[str]
    status: str | None
    version: int
    assigned_officer: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    verified_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    resolution_note: str | None
    after_photo_ids: list[UUID]
    rejection_reason: str | None
    duplicate_of: UUID | None
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_breached_at: datetime | None
    sla_paused_at: datetime | None
    sla_state: str
    # Working days the running deadline leaves (0: due today; negative: days overdue).
    sla_working_days_left: int | None = None
    allowed_transitions: list[str]
    # SP4N-LAPOR! beside Sigap's status (docs/lapor.md); the stage is None before receipt.
    lapor_stage: str | None = None
    lapor_stage_label: str | None = None
    lapor_stage_due_at: datetime | None = None
    lapor_stage_overdue: bool = False
    lapor_postponed_at: datetime | None = None
    lapor_postpone_reason: str | None = None
    lapor_archived_at: datetime | None = None
    lapor_closed_at: datetime | None = None
    timeline: list[StaffTimelineEntry] | None = None


def staff_out(
    row: Any,
    staff: StaffPrincipal,
    timeline: list[Any] | None = None,
    *,
    calendar: WorkingCalendar | None = None,
    lapor: LaporPolicy | None = None,
) -> StaffComplaintOut:
    view = complaint_view(row)
    now = datetime.now(UTC)
    try:
        check_may_act(staff, view)
        allowed = allowed_transitions(view.status, staff.role)
    except NotPermitted:
        allowed = []
    fields = {key: row[key] for key in StaffComplaintOut.model_fields if key in row.keys()}
    fields["supporting_departments"] = list(row["supporting_departments"] or ())
    fields["after_photo_ids"] = list(row["after_photo_ids"] or ())
    if lapor is not None:
        stage = stage_of(row, lapor, now=now)
        label = stage.label()
        fields.update(
            lapor_stage=stage.stage,
            lapor_stage_label=label.id if label else None,
            lapor_stage_due_at=stage.due_at,
            lapor_stage_overdue=stage.overdue,
        )
    return StaffComplaintOut(
        **fields,
        sla_state=sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None),
        sla_working_days_left=None
        if calendar is None or row["sla_paused_at"] is not None
        else working_days_left(calendar, due_at=row["sla_due_at"], now=now),
        allowed_transitions=allowed,
        timeline=None
        if timeline is None
        else [
            StaffTimelineEntry(
                event_id=entry["event_id"],
                type=entry["event_type"],
                at=entry["occurred_at"],
                actor=entry["actor"],
                detail=orjson.loads(entry["detail"]),
            )
            for entry in timeline
        ],
    )
