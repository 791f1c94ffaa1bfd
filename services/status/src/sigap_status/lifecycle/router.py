"""The lifecycle's HTTP API for staff: a complaint as staff see it, status transitions, the
deadline paused while waiting for the reporter, field officer assignment and notes. Thin:
parse, call a command, answer with the updated complaint (refusals are mapped in errors.py)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.errors import Text
from sigap_shared.events import ComplaintStatus
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import visible_or_none
from sigap_status.auth.dependencies import Staff, staff_in
from sigap_status.complaints.queries import get_timeline
from sigap_status.complaints.visibility import load_visible
from sigap_status.context import Intake, Lapor, Policy
from sigap_status.errors import InvalidInput
from sigap_status.lifecycle import commands, rules
from sigap_status.lifecycle.descriptions import ACTING_ROLES, ASSIGNMENT_DESCRIPTION, describe_transitions
from sigap_status.lifecycle.views import StaffComplaintOut, staff_out

router = APIRouter(prefix="/v1", tags=["staff"])

# Who may change a complaint (auditors only read), and who runs a department's desk.
Actor = staff_in(*ACTING_ROLES)
DeskAdmin = staff_in("city_admin", "dept_admin")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: ComplaintStatus
    expected_version: int = Field(ge=0)
    reason: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=4000)
    duplicate_of: UUID | None = None
    resolution_note: str | None = Field(default=None, max_length=4000)
    # Intake claims at most 5 after-photos per complaint (INTAKE_CONTRACT.md §1).
    after_photo_ids: list[UUID] = Field(default_factory=list, max_length=5)


class WaitingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waiting: bool
    expected_version: int = Field(ge=0)


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer: str | None = Field(max_length=64)
    expected_version: int = Field(ge=0)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)
    visibility: Literal["internal", "reporter"] = "internal"
    photo_ids: list[UUID] = Field(default_factory=list, max_length=10)


class NoteOut(BaseModel):
    id: UUID
    visibility: str


@router.get(
    "/staff/complaints/{complaint_id}",
    summary="A complaint as staff see it, with its full timeline",
)
async def get_staff_complaint(
    complaint_id: UUID, staff: Staff, conn: Conn, policy: Policy, lapor: Lapor
) -> StaffComplaintOut:
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    timeline = await get_timeline(conn=conn, complaint_id=complaint_id)
    return staff_out(row, staff, timeline, calendar=policy.calendar, lapor=lapor)


@router.post(
    "/complaints/{complaint_id}/transitions",
    summary="Move a complaint along its lifecycle",
    description=describe_transitions(),
)
async def post_transition(
    complaint_id: UUID, body: TransitionIn, staff: Actor, conn: Conn, policy: Policy, intake: Intake, request: Request
) -> StaffComplaintOut:
    row = await commands.transition_complaint(
        conn=conn,
        staff=staff,
        complaint_id=complaint_id,
        request=rules.TransitionRequest(**{**body.model_dump(), "after_photo_ids": tuple(body.after_photo_ids)}),
        policy=policy,
        intake=intake,
        correlation_id=request.headers.get("x-correlation-id"),
    )
    return staff_out(row, staff)


@router.put(
    "/complaints/{complaint_id}/waiting-for-reporter",
    summary="Pause the running SLA deadline while waiting for the reporter (true), or resume it (false)",
)
async def put_waiting(
    complaint_id: UUID, body: WaitingIn, staff: Actor, conn: Conn, policy: Policy
) -> StaffComplaintOut:
    row = await commands.set_waiting_for_reporter(
        conn=conn,
        staff=staff,
        complaint_id=complaint_id,
        waiting=body.waiting,
        expected_version=body.expected_version,
        policy=policy,
    )
    return staff_out(row, staff)


@router.put(
    "/complaints/{complaint_id}/assignment",
    summary="Assign, reassign or (with null) unassign a field officer",
    description=ASSIGNMENT_DESCRIPTION,
)
async def put_assignment(complaint_id: UUID, body: AssignmentIn, staff: DeskAdmin, conn: Conn) -> StaffComplaintOut:
    row = await commands.assign_complaint(
        conn=conn, staff=staff, complaint_id=complaint_id, officer=body.officer, expected_version=body.expected_version
    )
    return staff_out(row, staff)


@router.post(
    "/complaints/{complaint_id}/notes",
    status_code=201,
    summary="Add an internal note (e.g. an officer's progress, with photos) or a message to the reporter",
)
async def post_note(complaint_id: UUID, body: NoteIn, staff: Actor, conn: Conn) -> NoteOut:
    text = visible_or_none(body.body)
    if text is None:
        raise InvalidInput(
            "body",
            Text("wajib diisi", "is required"),
            detail=Text("Isi catatan tidak boleh kosong.", "The note must not be empty."),
        )
    entry_id = await commands.add_note(
        conn=conn, staff=staff, complaint_id=complaint_id, body=text, visibility=body.visibility, photo_ids=list(body.photo_ids)
    )
    return NoteOut(id=entry_id, visibility=body.visibility)
