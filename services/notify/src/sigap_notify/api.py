"""Notify's HTTP API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from sigap_notify import repository
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["notifications"])


class NotificationOut(BaseModel):
    event_id: UUID
    event_type: str
    recipient: str
    channel: str
    template: str
    status: str
    attempts: int
    created_at: datetime


class NotificationLog(BaseModel):
    complaint_id: UUID
    notifications: list[NotificationOut]


@router.get(
    "/complaints/{complaint_id}/notifications",
    response_model=NotificationLog,
    summary="Every notification recorded for a complaint",
)
async def list_notifications(complaint_id: UUID, conn: Conn) -> NotificationLog:
    rows = await repository.list_for_complaint(conn=conn, complaint_id=complaint_id)
    return NotificationLog(
        complaint_id=complaint_id,
        notifications=[NotificationOut(**dict(row)) for row in rows],
    )
