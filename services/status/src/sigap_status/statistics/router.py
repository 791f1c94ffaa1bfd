"""`GET /v1/staff/statistics` (a department's staff get their own department's figures) and
`GET /v1/public/departments/performance` (anyone: every department's times, SLA compliance,
breaches and escalations)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sigap_shared.runtime import Conn
from sigap_shared.storable import SaneDate
from sigap_status.statistics.rules import figures, period
from sigap_status.statistics.scope import StaffFigureScope

router = APIRouter(prefix="/v1")

ESCALATION_FIGURES = (
    "Per department: breaches (deadlines missed), escalations (ladder steps told), escalated_complaints, "
    "median_days_overdue (calendar days from a breach until its stage was done, or until now), and steps "
    "(escalations per ladder step: step, step_number, escalations; lowest step first)"
)


class StatisticsOut(BaseModel):
    since: date
    until: date
    department: str | None
    counts: list[dict[str, Any]]
    durations: list[dict[str, Any]]
    sla_compliance: list[dict[str, Any]]
    escalation: list[dict[str, Any]] = Field(description=ESCALATION_FIGURES)


@router.get(
    "/staff/statistics", tags=["staff"], summary="Counts, times and SLA compliance"
)
async def get_statistics(scope: StaffFigureScope, conn: Conn) -> StatisticsOut:
    stats = await figures(conn=conn, department=scope.department, since=scope.since, until=scope.until)
    return StatisticsOut(
        since=scope.since,
        until=scope.until,
        department=scope.department,
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
    escalation: list[dict[str, Any]] = Field(description=ESCALATION_FIGURES)


@router.get(
    "/public/departments/performance",
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
