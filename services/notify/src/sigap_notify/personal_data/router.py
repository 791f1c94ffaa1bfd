"""`GET /internal/v1/personal-data/complaints/{id}`: what notify holds about one complaint's
reporter, for the access answer intake assembles (services/intake privacy/): the addresses
they subscribed (opened: it is their own data) and every message meant for them. Messages to
departments and officers are not the reporter's and stay out. `POST .../erase`: what names or
reaches the reporter goes when intake erases their personal data (retention or a deletion
request), and so do the free texts of every message about the complaint; see
`commands.erase_reporter`. Needs the internal bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from sigap_notify.context import Context
from sigap_notify.personal_data import commands
from sigap_notify.recipients import REPORTER_PREFIX
from sigap_notify.sealing import SecretUnreadable
from sigap_shared.auth import require_internal_token
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class HeldSubscription(BaseModel):
    channel: str
    address: str | None
    language: str
    created_at: datetime


class HeldMessage(BaseModel):
    event_type: str
    channel: str
    template: str
    status: str
    address: str | None
    params: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None


class HeldByNotify(BaseModel):
    complaint_id: UUID
    subscriptions: list[HeldSubscription]
    messages: list[HeldMessage]


@router.get(
    "/personal-data/complaints/{complaint_id}",
    summary="What notify holds about a complaint's reporter (for an access request)",
)
async def held_by_notify(complaint_id: UUID, conn: Conn, context: Context) -> HeldByNotify:
    subscriptions = await conn.fetch(
        "SELECT tracking_code, channel, address_sealed, legacy_address, language, created_at"
        " FROM reporter_subscriptions WHERE complaint_id = $1 ORDER BY created_at, id",
        complaint_id,
    )
    messages = await conn.fetch(
        "SELECT event_type, channel, template, status, address_masked, params, created_at, sent_at"
        " FROM notifications WHERE complaint_id = $1 AND starts_with(recipient, $2) ORDER BY created_at, id",
        complaint_id,
        REPORTER_PREFIX,
    )
    return HeldByNotify(
        complaint_id=complaint_id,
        subscriptions=[
            HeldSubscription(
                channel=row["channel"],
                address=_address(context, row),
                language=row["language"],
                created_at=row["created_at"],
            )
            for row in subscriptions
        ],
        messages=[
            HeldMessage(
                event_type=row["event_type"],
                channel=row["channel"],
                template=row["template"],
                status=row["status"],
                address=row["address_masked"],
                params=row["params"] if isinstance(row["params"], dict) else orjson.loads(row["params"] or "{}"),
                created_at=row["created_at"],
                sent_at=row["sent_at"],
            )
            for row in messages
        ],
    )


def _address(context, row) -> str | None:
    if row["address_sealed"] is None:
        return row["legacy_address"]
    try:
        return context.box.open_address(row["address_sealed"], tracking_code=row["tracking_code"], channel=row["channel"])
    except SecretUnreadable:
        return None


class ErasedOut(BaseModel):
    complaint_id: UUID
    subscriptions_erased: int
    messages_cleared: int
    message_texts_cleared: int
    delivery_errors_cleared: int = Field(
        description="Staff, officer and webhook deliveries (and parked webhook deliveries) whose last error, a "
        "receiver's reply that may quote the text, now only says that the delivery failed."
    )
    parked_events_cleared: int
    outbox_events_cleared: int
    reporter_erased_at: datetime


@router.post(
    "/personal-data/complaints/{complaint_id}/erase",
    summary="Erase the reporter's subscribed addresses, who their messages were for and where they went, the "
    "pseudonym in parked events, and the free texts (messages, notes, reasons) of every message, parked event and "
    "outbox copy about the complaint; later events plan nothing for the reporter (idempotent)",
)
async def erase(complaint_id: UUID, conn: Conn) -> ErasedOut:
    erased = await commands.erase_reporter(conn=conn, complaint_id=complaint_id)
    return ErasedOut.model_validate(erased, from_attributes=True)
