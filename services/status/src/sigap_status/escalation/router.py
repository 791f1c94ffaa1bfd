"""`GET /v1/staff/escalations`: the complaints escalated now (their running deadline was breached
and climbed at least one ladder step), with each step told and when, narrowed to what the caller
may see by the same rule as the queue and the figures (a department's staff: their own
department's; city-wide roles: every department's, or the one they ask for). Departments take
turns on a page (each one's longest breached first), and the answer counts every escalated
complaint per department, so a capped page still says how many there are in all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import staff_in
from sigap_status.complaints.visibility import visible_department
from sigap_status.context import Policy
from sigap_status.escalation import queries
from sigap_status.escalation.rules import working_days_overdue

router = APIRouter(prefix="/v1", tags=["staff"])

EscalationReader = staff_in("dept_admin", "city_admin", "auditor")


class EscalationStepOut(BaseModel):
    step: str  # e.g. head_of_department, city
    step_number: int  # 1-based position on the complaint's ladder
    escalated_at: datetime  # when that step was told


class EscalatedComplaint(BaseModel):
    id: UUID
    tracking_code: str
    title: str | None
    department: str | None
    category: str | None
    status: str
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_breached_at: datetime
    working_days_overdue: int | None
    steps: list[EscalationStepOut]


class EscalatedCount(BaseModel):
    department: str | None
    complaints: int


class EscalatedComplaints(BaseModel):
    department: str | None
    total: int  # escalated complaints in all, of which `items` is the page from `offset`
    offset: int
    by_department: list[EscalatedCount]  # most first
    items: list[EscalatedComplaint]


@router.get("/staff/escalations", summary="The complaints escalated now, with each ladder step told and when")
async def get_escalations(
    staff: EscalationReader,
    conn: Conn,
    policy: Policy,
    department: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EscalatedComplaints:
    department = visible_department(staff, department)
    rows = await queries.escalated_complaints(conn=conn, department=department, limit=limit, offset=offset)
    counts = await queries.escalated_counts(conn=conn, department=department)
    now = datetime.now(UTC)
    return EscalatedComplaints(
        department=department,
        total=sum(row["complaints"] for row in counts),
        offset=offset,
        by_department=[EscalatedCount(department=row["department"], complaints=row["complaints"]) for row in counts],
        items=[
            EscalatedComplaint(
                id=row["id"],
                tracking_code=row["tracking_code"],
                title=row["title"],
                department=row["department"],
                category=row["category"],
                status=row["status"],
                sla_stage=row["sla_stage"],
                sla_due_at=row["sla_due_at"],
                sla_breached_at=row["sla_breached_at"],
                working_days_overdue=None
                if row["sla_due_at"] is None
                else working_days_overdue(policy.calendar, due_at=row["sla_due_at"], now=now),
                steps=[
                    EscalationStepOut(step=step, step_number=number, escalated_at=at)
                    for step, number, at in zip(row["steps"], row["step_numbers"], row["escalated_at"], strict=True)
                ],
            )
            for row in rows
        ],
    )
