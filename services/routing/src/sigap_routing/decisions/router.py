"""The stored routing of one complaint: the decision and who handles the complaint now, and
every routing step with who and why (staff of the complaint's departments, city-wide roles)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel

from sigap_routing.areas.views import AreaOut, Place, area_out
from sigap_routing.decisions.queries import visible_decision, visible_history
from sigap_shared.auth import CurrentStaff
from sigap_shared.problems import preferred_language
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1/routing", tags=["routing"])


class RoutingDecisionOut(BaseModel):
    complaint_id: UUID
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: list[str]
    suggested_department: str | None = None
    area: AreaOut
    classifier_version: str | None = None
    taxonomy_version: int | None = None
    lead_department: str | None = None  # after transfers (department is the automatic decision)
    supporting_departments: list[str] = []


class HistoryEntryOut(BaseModel):
    kind: str
    transfer_kind: str | None
    from_department: str | None
    to_department: str | None
    category: str | None
    reason: str | None
    actor: str
    actor_role: str | None
    at: datetime


@router.get(
    "/decisions/{complaint_id}",
    summary="The routing decision and who handles the complaint now (staff of those departments, city-wide roles)",
)
async def get_decision(complaint_id: UUID, staff: CurrentStaff, request: Request, conn: Conn) -> RoutingDecisionOut:
    row = await visible_decision(conn=conn, staff=staff, complaint_id=complaint_id)
    located = row["kelurahan_code"] is not None
    return RoutingDecisionOut(
        complaint_id=row["complaint_id"],
        department=row["department"],
        category=row["category"],
        confidence=row["confidence"],
        needs_triage=row["needs_triage"],
        reasons=orjson.loads(row["reasons"]),
        suggested_department=row["suggested_department"],
        area=area_out(
            inside_city=row["inside_city"],
            kecamatan=Place(code=row["kecamatan_code"], name=row["kecamatan_name"]) if located else None,
            kelurahan=Place(code=row["kelurahan_code"], name=row["kelurahan_name"]) if located else None,
            lang=preferred_language(request),
        ),
        classifier_version=row["classifier_version"],
        taxonomy_version=row["taxonomy_version"],
        lead_department=row["lead_department"],
        supporting_departments=list(row["supporting_departments"]),
    )


@router.get(
    "/complaints/{complaint_id}/history",
    summary="Every routing decision for the complaint, with who and why (its departments' staff, city-wide roles)",
)
async def history(complaint_id: UUID, staff: CurrentStaff, conn: Conn) -> list[HistoryEntryOut]:
    rows = await visible_history(conn=conn, staff=staff, complaint_id=complaint_id)
    return [HistoryEntryOut(**dict(row)) for row in rows]
