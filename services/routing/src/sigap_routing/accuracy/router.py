"""`GET /v1/routing/admin/accuracy` (city admin): how often automatic routing was corrected in
real use, per department."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sigap_routing import repository
from sigap_shared.auth import CityAdmin
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1/routing/admin", tags=["routing"])


class DepartmentOutcomeOut(BaseModel):
    department: str  # as decided automatically (TRIAGE included)
    decided: int
    triaged: int
    corrected: int  # routed automatically, later moved by a department (bukan wewenang) or the city admin


class AccuracyOut(BaseModel):
    days: int
    decided: int
    triaged: int
    corrected: int
    confirmed_share: float | None  # of automatic routings, the share nobody moved elsewhere
    departments: list[DepartmentOutcomeOut]


@router.get(
    "/accuracy",
    summary="How often automatic routing was corrected in real use (city_admin)",
)
async def accuracy(staff: CityAdmin, conn: Conn, days: Annotated[int, Query(ge=1, le=3650)] = 30) -> AccuracyOut:
    rows = [
        DepartmentOutcomeOut(
            department=row["department"], decided=row["decided"], triaged=row["triaged"], corrected=row["corrected"]
        )
        for row in await repository.routing_outcomes(conn=conn, days=days)
    ]
    routed = sum(row.decided - row.triaged for row in rows)
    corrected = sum(row.corrected for row in rows)
    return AccuracyOut(
        days=days,
        departments=rows,
        decided=sum(row.decided for row in rows),
        triaged=sum(row.triaged for row in rows),
        corrected=corrected,
        confirmed_share=round(1 - corrected / routed, 4) if routed else None,
    )
