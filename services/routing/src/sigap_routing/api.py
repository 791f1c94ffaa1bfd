"""Routing's HTTP API."""

from __future__ import annotations

from uuid import UUID

import orjson
from fastapi import APIRouter
from pydantic import BaseModel

from sigap_routing import repository
from sigap_shared.problems import Problem, Text
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["routing"])


class RoutingDecisionOut(BaseModel):
    complaint_id: UUID
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: list[str]


@router.get("/routing/decisions/{complaint_id}", response_model=RoutingDecisionOut)
async def get_decision(complaint_id: UUID, conn: Conn) -> RoutingDecisionOut:
    row = await repository.get_decision(conn=conn, complaint_id=complaint_id)
    if row is None:
        raise Problem(
            status=404,
            slug="not-found",
            title=Text("Keputusan routing tidak ditemukan", "Routing decision not found"),
            detail=Text(
                f"Belum ada keputusan routing untuk pengaduan {complaint_id}.",
                f"No routing decision exists for complaint {complaint_id}.",
            ),
        )
    return RoutingDecisionOut(
        complaint_id=row["complaint_id"],
        department=row["department"],
        category=row["category"],
        confidence=row["confidence"],
        needs_triage=row["needs_triage"],
        reasons=orjson.loads(row["reasons"]),
    )
