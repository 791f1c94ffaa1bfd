"""Status's HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter
from pydantic import BaseModel

from sigap_shared.problems import Problem, Text
from sigap_shared.runtime import Conn
from sigap_status import repository

router = APIRouter(prefix="/v1", tags=["complaints"])


class TimelineEntry(BaseModel):
    event_id: UUID
    type: str
    at: datetime
    actor: str
    detail: dict[str, Any]


class ComplaintOut(BaseModel):
    id: UUID
    tracking_code: str
    kind: str | None
    category: str | None
    department: str | None
    status: str | None
    version: int
    submitted_at: datetime | None
    updated_at: datetime
    timeline: list[TimelineEntry]


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, summary="A complaint's status and timeline")
async def get_complaint(complaint_id: UUID, conn: Conn) -> ComplaintOut:
    row = await repository.get_complaint(conn=conn, complaint_id=complaint_id)
    if row is None:
        raise Problem(
            status=404,
            slug="complaint-not-found",
            title=Text("Pengaduan tidak ditemukan", "Complaint not found"),
            detail=Text(
                f"Tidak ada pengaduan dengan id {complaint_id} (atau belum sampai ke layanan status).",
                f"No complaint with id {complaint_id} (or it has not reached the status service yet).",
            ),
        )
    timeline = await repository.get_timeline(conn=conn, complaint_id=complaint_id)
    return ComplaintOut(
        **{key: row[key] for key in ComplaintOut.model_fields if key != "timeline"},
        timeline=[
            TimelineEntry(
                event_id=entry["event_id"],
                type=entry["event_type"],
                at=entry["occurred_at"],
                actor=entry["actor"],
                detail=orjson.loads(entry["detail"]),
            )
            for entry in timeline
        ],
    )
