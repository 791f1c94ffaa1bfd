"""The delivery log's API: a complaint's deliveries, and webhook deliveries that failed their
last retry (listed, and queued again)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sigap_notify.access import require_department_or_city_admin
from sigap_notify.deliveries import commands, queries
from sigap_notify.models import DepartmentCode, StrictBody
from sigap_notify.recipients import mask_recipient
from sigap_shared.auth import CurrentStaff, DepartmentManager
from sigap_shared.runtime import Conn
from sigap_shared.storable import BIGINT_MAX

router = APIRouter(prefix="/v1", tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    event_id: UUID
    event_type: str
    recipient: str = Field(description="Who, never an address: a department, a reporter pseudonym or a webhook id.")
    channel: str
    template: str
    status: Literal["pending", "sending", "sent", "failed", "undeliverable"]
    attempts: int
    address: str | None = Field(None, description="Where it went, masked (e.g. s***@e***.com).")
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class NotificationLog(BaseModel):
    complaint_id: UUID
    notifications: list[NotificationOut]


@router.get(
    "/complaints/{complaint_id}/notifications",
    summary="Every notification of a complaint: channel, recipient, status, attempts (staff of its departments, "
    "city-wide roles)",
)
async def list_notifications(complaint_id: UUID, conn: Conn, staff: CurrentStaff) -> NotificationLog:
    rows = await queries.complaint_deliveries(conn=conn, complaint_id=complaint_id, staff=staff)
    return NotificationLog(
        complaint_id=complaint_id,
        notifications=[
            NotificationOut(
                **{name: row[name] for name in _LOGGED},
                recipient=mask_recipient(row["recipient"]),
                address=row["address_masked"],
                next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
            )
            for row in rows
        ],
    )


_LOGGED = ("id", "event_id", "event_type", "channel", "template", "status", "attempts", "last_error", "created_at",
           "sent_at")  # fmt: skip


class DeadLetterOut(BaseModel):
    notification_id: int
    webhook_id: UUID
    department: str
    event_id: UUID
    event_type: str
    complaint_id: UUID
    attempts: int
    last_error: str | None
    parked_at: datetime


@router.get(
    "/webhooks/dead-letters",
    summary="Webhook deliveries that failed their last retry",
)
async def list_dead_letters(
    conn: Conn, staff: CurrentStaff, department: DepartmentCode | None = None
) -> list[DeadLetterOut]:
    require_department_or_city_admin(staff, department, write=False)
    rows = await queries.dead_letters(conn=conn, department=department)
    return [
        DeadLetterOut(
            **{k: v for k, v in dict(row).items() if k != "subscription_id"}, webhook_id=row["subscription_id"]
        )
        for row in rows
    ]


class ReplayIn(StrictBody):
    notification_ids: list[Annotated[int, Field(ge=1, le=BIGINT_MAX)]] | None = Field(
        None, max_length=10000, description="Omit to replay all (in scope)."
    )
    department: DepartmentCode | None = None


class ReplayOut(BaseModel):
    replayed: list[int]


@router.post(
    "/webhooks/dead-letters/replay",
    summary="Queue parked webhook deliveries again, with a fresh set of retries",
)
async def replay_dead_letters(body: ReplayIn, conn: Conn, staff: DepartmentManager) -> ReplayOut:
    require_department_or_city_admin(staff, body.department, write=True)
    replayed = await commands.replay_dead_letters(
        conn=conn, notification_ids=body.notification_ids, department=body.department, replayed_by=staff.username
    )
    return ReplayOut(replayed=replayed)
