"""`GET /v1/complaints/{id}` and `GET /v1/public/complaints`: what anyone may read of publicly
listed complaints (the reporter chose `publik` and to be listed): no tracking code, no
identities, no staff names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel

from sigap_shared.errors import Text
from sigap_shared.events import ComplaintStatus
from sigap_shared.runtime import Conn
from sigap_status.complaints.queries import get_timeline
from sigap_status.errors import ComplaintNotFound, InvalidInput
from sigap_status.lifecycle.events import INTERNAL_EVENT_TYPES
from sigap_status.lifecycle.rules import REPORTER_ACTOR, SYSTEM_ACTOR
from sigap_status.public import queries
from sigap_status.queue.queries import BadCursor, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1")


class TimelineEntry(BaseModel):
    event_id: UUID
    type: str
    at: datetime
    actor: str
    detail: dict[str, Any]


class ComplaintOut(BaseModel):
    """The public view: no tracking code (with the follow-up token it is the reporter's own
    key at intake), no identities, no staff names."""

    id: UUID
    kind: str | None
    category: str | None
    department: str | None
    status: str | None
    version: int
    submitted_at: datetime | None
    updated_at: datetime
    timeline: list[TimelineEntry]


_PUBLIC_ACTORS = {SYSTEM_ACTOR, REPORTER_ACTOR}
_PUBLIC_DETAIL = {
    "kind",
    "category",
    "privacy",
    "department",
    "confidence",
    "needs_triage",
    "reasons",
    "from",
    "to",
    "reason",
    "resolution_note",
    "stage",
    "due_at",
    "body",
    "step",
    "step_number",
    "working_days_overdue",
}


@router.get(
    "/complaints/{complaint_id}",
    tags=["complaints"],
    summary="A public complaint's status and timeline (only publik complaints whose reporter agreed to be "
    "listed; no tracking code, no identities, no staff names)",
)
async def get_complaint(complaint_id: UUID, conn: Conn) -> ComplaintOut:
    row = await queries.get_public_complaint(conn=conn, complaint_id=complaint_id)
    if row is None:
        raise ComplaintNotFound(complaint_id)
    timeline = await get_timeline(conn=conn, complaint_id=complaint_id)
    return ComplaintOut(
        **{key: row[key] for key in ComplaintOut.model_fields if key != "timeline"},
        timeline=[
            TimelineEntry(
                event_id=entry["event_id"],
                type=entry["event_type"],
                at=entry["occurred_at"],
                actor=entry["actor"] if entry["actor"] in _PUBLIC_ACTORS else "petugas",
                detail={k: v for k, v in orjson.loads(entry["detail"]).items() if k in _PUBLIC_DETAIL},
            )
            for entry in timeline
            if entry["event_type"] not in INTERNAL_EVENT_TYPES
        ],
    )


class PublicComplaint(BaseModel):
    id: UUID
    category: str | None
    kelurahan: str | None
    department: str | None
    status: str | None
    submitted_at: datetime | None
    resolved_at: datetime | None
    after_photo_ids: list[UUID]


class PublicPage(BaseModel):
    items: list[PublicComplaint]
    next_cursor: str | None


@router.get(
    "/public/complaints",
    tags=["public"],
    summary="Public complaints (reporter chose 'publik'): no identities, no staff names, newest first",
)
async def get_public_complaints(
    conn: Conn,
    category: Annotated[str | None, Query(max_length=64)] = None,
    kelurahan: Annotated[str | None, Query(max_length=64)] = None,
    status: ComplaintStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PublicPage:
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, sort="public")
        except BadCursor:
            raise InvalidInput(
                "cursor",
                Text("cursor tidak valid", "invalid cursor"),
                location="query",
                detail=Text("Cursor halaman tidak valid.", "Invalid cursor."),
            ) from None
    rows = await queries.list_public(
        conn=conn, category=category, kelurahan=kelurahan, status=status, limit=limit + 1, after=after
    )
    page = rows[:limit]
    return PublicPage(
        items=[
            PublicComplaint(
                **{key: row[key] for key in PublicComplaint.model_fields if key != "after_photo_ids"},
                after_photo_ids=list(row["after_photo_ids"] or ()),
            )
            for row in page
        ],
        next_cursor=encode_cursor("public", page[-1]["submitted_at"], page[-1]["id"]) if len(rows) > limit else None,
    )
