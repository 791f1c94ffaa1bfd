"""`GET /v1/staff/statistics` (a department's staff get their own department's figures) and
`GET /v1/public/departments/performance` (anyone: every department's times, SLA compliance,
breaches and escalations)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sigap_shared.runtime import Conn
from sigap_shared.storable import SaneDate
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import visible_department
from sigap_status.statistics.rules import figures, period

router = APIRouter(prefix="/v1")


class StatisticsOut(BaseModel):
    since: date
    until: date
    department: str | None
    counts: list[dict[str, Any]]
    durations: list[dict[str, Any]]
    sla_compliance: list[dict[str, Any]]
    escalation: list[dict[str, Any]] = Field(
        description="Per department: breaches (deadlines missed), escalations (ladder steps told), "
        "escalated_complaints, median_days_overdue (calendar days from a breach until its stage was done, "
        "or until now)"
    )


@router.get(
    "/staff/statistics", response_model=StatisticsOut, tags=["staff"], summary="Counts, times and SLA compliance"
)
async def get_statistics(
    staff: Staff,
    conn: Conn,
    since: SaneDate | None = None,
    until: SaneDate | None = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> StatisticsOut:
    department = visible_department(staff, department)
    since, until = period(since, until)
    stats = await figures(conn=conn, department=department, since=since, until=until)
    return StatisticsOut(
        since=since,
        until=until,
        department=department,
        counts=stats["counts"],
        durations=stats["durations"],
        sla_compliance=stats["sla_compliance"],
        escalation=stats["escalation"],
    )


class DepartmentPerformance(BaseModel):
    since: date
    until: date
    durations: list[dict[str, Any]]
    sla_compliance: list[dict[str, Any]]
    escalation: list[dict[str, Any]] = Field(
        description="Per department: breaches (deadlines missed), escalations (ladder steps told), "
        "escalated_complaints, median_days_overdue (calendar days from a breach until its stage was done, "
        "or until now)"
    )


@router.get(
    "/public/departments/performance",
    response_model=DepartmentPerformance,
    tags=["public"],
    summary="Per-department volume, time to finish and SLA compliance",
)
async def get_public_performance(
    conn: Conn, since: SaneDate | None = None, until: SaneDate | None = None
) -> DepartmentPerformance:
    since, until = period(since, until)
    stats = await figures(conn=conn, department=None, since=since, until=until)
    return DepartmentPerformance(
        since=since,
        until=until,
        durations=stats["durations"],
        sla_compliance=stats["sla_compliance"],
        escalation=stats["escalation"],
    )
