"""`GET /internal/v1/personal-data/complaints/{id}`: what status holds about one complaint's
reporter, for the access answer intake assembles (services/intake privacy/). Staff usernames
are left out: they are other people's data (UU 27/2022 Art. 33); an action shows whether
staff, the reporter or the system took it. `POST .../erase`: the reporter's pseudonym and
channels, and the free texts of the timeline, record and outbox, go when intake erases their
personal data (retention or a deletion request); see `commands.erase_reporter`. Needs the
internal bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from sigap_shared.auth import require_internal_token
from sigap_shared.runtime import Conn
from sigap_status.complaints.queries import get_timeline
from sigap_status.errors import ComplaintNotFound
from sigap_status.lifecycle.rules import REPORTER_ACTOR, SYSTEM_ACTOR
from sigap_status.personal_data import commands

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])

# Detail keys naming staff, left out of the reporter's copy.
_STAFF_KEYS = {"officer", "assigned_officer", "officer_id", "actor", "by", "username", "from_officer", "to_officer"}


class HeldTimelineEntry(BaseModel):
    type: str
    at: datetime
    by: str
    detail: dict[str, Any]


class HeldByStatus(BaseModel):
    complaint_id: UUID
    reporter_pseudonym: str | None
    reporter_channels: list[str]
    title: str | None
    description: str | None
    address: str | None
    location: dict[str, float] | None
    privacy: str | None
    status: str | None
    department: str | None
    resolution_note: str | None
    rejection_reason: str | None
    timeline: list[HeldTimelineEntry]
    reporter_erased_at: datetime | None = None


def _by(actor: str) -> str:
    return actor if actor in (REPORTER_ACTOR, SYSTEM_ACTOR) else "petugas"


@router.get(
    "/personal-data/complaints/{complaint_id}",
    summary="What status holds about a complaint's reporter (for an access request), without staff names",
)
async def held_by_status(complaint_id: UUID, conn: Conn) -> HeldByStatus:
    row = await conn.fetchrow(
        "SELECT reporter_pseudonym, reporter_channels, title, description, address, lat, lon, privacy, status,"
        " department, resolution_note, rejection_reason, reporter_erased_at FROM complaints WHERE id = $1",
        complaint_id,
    )
    if row is None:
        raise ComplaintNotFound(complaint_id)
    timeline = await get_timeline(conn=conn, complaint_id=complaint_id)
    return HeldByStatus(
        complaint_id=complaint_id,
        reporter_pseudonym=row["reporter_pseudonym"],
        reporter_channels=list(row["reporter_channels"] or ()),
        title=row["title"],
        description=row["description"],
        address=row["address"],
        location={"lat": row["lat"], "lon": row["lon"]} if row["lat"] is not None else None,
        privacy=row["privacy"],
        status=row["status"],
        department=row["department"],
        resolution_note=row["resolution_note"],
        rejection_reason=row["rejection_reason"],
        reporter_erased_at=row["reporter_erased_at"],
        timeline=[
            HeldTimelineEntry(
                type=entry["event_type"],
                at=entry["occurred_at"],
                by=_by(entry["actor"]),
                detail={k: v for k, v in orjson.loads(entry["detail"]).items() if k not in _STAFF_KEYS},
            )
            for entry in timeline
        ],
    )


class ErasedOut(BaseModel):
    complaint_id: UUID
    complaint_known: bool = Field(
        description="False when status has not handled the complaint's submission yet: the erasure is remembered "
        "and the submission, when it comes, is stored without its reporter."
    )
    reporter_erased: bool = Field(description="Whether a pseudonym or channels were still held (false on a repeat).")
    outbox_events_cleared: int
    reporter_erased_at: datetime


@router.post(
    "/personal-data/complaints/{complaint_id}/erase",
    summary="Erase the reporter's pseudonym and channels, and the texts of the timeline and record written by "
    "the reporter or staff (entries stay), also from events kept in the outbox and from later events about the "
    "complaint (idempotent)",
)
async def erase(complaint_id: UUID, conn: Conn) -> ErasedOut:
    erased = await commands.erase_reporter(conn=conn, complaint_id=complaint_id)
    return ErasedOut.model_validate(erased, from_attributes=True)
