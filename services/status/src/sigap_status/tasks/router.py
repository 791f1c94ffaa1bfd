"""`GET /v1/staff/tasks` and `GET /v1/staff/tasks/{id}`: a field officer's own tasks, for the
phone view. Only field officers have tasks (other roles: 403); a task the officer may not see
(another officer's, another department's) answers exactly as an unknown one (404)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sigap_shared.auth import StaffPrincipal, declares_roles
from sigap_shared.errors import Text
from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import complaint_view, load_visible
from sigap_status.lifecycle import rules
from sigap_status.lifecycle.views import ComplaintBasics
from sigap_status.sla.rules import sla_state
from sigap_status.errors import Forbidden, InvalidInput
from sigap_status.tasks import queries
from sigap_status.tasks.rules import Point, distance_m, in_order, place_of

router = APIRouter(prefix="/v1/staff/tasks", tags=["staff"])


class TaskOut(ComplaintBasics):
    lat: float | None
    lon: float | None
    department: str | None
    status: str | None
    version: int
    submitted_at: datetime | None
    updated_at: datetime
    resolved_at: datetime | None
    resolution_note: str | None
    after_photo_ids: list[UUID]
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_state: str
    distance_m: float | None
    allowed_transitions: list[str]


class TaskList(BaseModel):
    order: str  # "nearest" (from near_lat/near_lon) or "oldest"
    items: list[TaskOut]


@declares_roles("field_officer")
def _officer(staff: Staff) -> StaffPrincipal:
    if staff.role != "field_officer":
        raise Forbidden(
            Text(
                "Daftar tugas hanya untuk petugas lapangan; staf lain memakai antrean dinas.",
                "Task lists are for field officers; other staff use the department queue.",
            ),
        )
    return staff


Officer = Annotated[StaffPrincipal, Depends(_officer)]


def _near(lat: float | None, lon: float | None) -> Point | None:
    if (lat is None) != (lon is None):
        missing = "near_lon" if lon is None else "near_lat"
        raise InvalidInput(
            missing,
            Text("wajib diisi bersama pasangannya", "is required together with its pair"),
            location="query",
            detail=Text(
                "Posisi petugas perlu near_lat dan near_lon sekaligus, atau tidak keduanya.",
                "The officer's position needs both near_lat and near_lon, or neither.",
            ),
        )
    return None if lat is None or lon is None else Point(lat, lon)


NearLat = Annotated[float | None, Query(ge=-90, le=90, description="The officer's latitude (with near_lon)")]
NearLon = Annotated[float | None, Query(ge=-180, le=180, description="The officer's longitude (with near_lat)")]


def _task_out(row: Any, staff: StaffPrincipal, *, distance: float | None, now: datetime) -> TaskOut:
    view = complaint_view(row)
    try:
        rules.check_may_act(staff, view)
        allowed = rules.allowed_transitions(view.status, staff.role)
    except rules.NotPermitted:
        allowed = []
    return TaskOut(
        **{key: row[key] for key in TaskOut.model_fields if key in row.keys() and key != "after_photo_ids"},
        after_photo_ids=list(row["after_photo_ids"] or ()),
        sla_state=sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None),
        distance_m=None if distance is None else round(distance, 1),
        allowed_transitions=allowed,
    )


@router.get(
    "",
    summary="The field officer's open tasks: nearest first from near_lat/near_lon, else oldest first",
)
async def get_tasks(
    staff: Officer,
    conn: Conn,
    near_lat: NearLat = None,
    near_lon: NearLon = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> TaskList:
    near = _near(near_lat, near_lon)
    rows = []
    if staff.department is not None:
        rows = await queries.open_tasks(conn=conn, officer=staff.username, department=staff.department)
    # The one isolation rule decides, whatever the query narrowed already.
    rows = [row for row in rows if rules.can_see(staff, complaint_view(row))]
    now = datetime.now(UTC)
    return TaskList(
        order="oldest" if near is None else "nearest",
        items=[_task_out(row, staff, distance=distance, now=now) for row, distance in in_order(rows, near=near)[:limit]],
    )


@router.get("/{complaint_id}", summary="One of the field officer's tasks")
async def get_task(
    complaint_id: UUID, staff: Officer, conn: Conn, near_lat: NearLat = None, near_lon: NearLon = None
) -> TaskOut:
    near = _near(near_lat, near_lon)
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    place = place_of(row)
    distance = None if near is None or place is None else distance_m(near, place)
    return _task_out(row, staff, distance=distance, now=datetime.now(UTC))
