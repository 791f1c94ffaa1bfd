"""`GET /internal/v1/personal-data/complaints/{id}`: what routing holds about one complaint's
reporter, for the access answer intake assembles (services/intake privacy/): the reporter's
pseudonym and the channels they chose, kept with the routing decision so that transfers and
delegations can pass them on. No identity: routing never sees one. `POST .../erase` drops them
when intake erases the reporter's personal data (retention or a deletion request), empties the
reasons staff gave for transfers and joint handling up to then (history and outbox), and
remembers the erasure for a complaint not decided on yet (see `commands.erase_reporter`); the
decision itself, which names no one, stays. Needs the internal bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from sigap_routing.personal_data import commands
from sigap_shared.auth import require_internal_token
from sigap_shared.errors import Text
from sigap_shared.problems import Problem
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class HeldByRouting(BaseModel):
    complaint_id: UUID
    tracking_code: str | None
    reporter: dict[str, Any] | None
    decided_at: datetime


class ErasedOut(BaseModel):
    complaint_id: UUID
    complaint_known: bool = Field(
        description="False when routing has not decided on the complaint yet: the erasure is remembered and the "
        "decision, when the submission comes, keeps and announces no reporter."
    )
    reporter_erased: bool = Field(description="Whether a pseudonym or channels were still held (false on a repeat).")
    outbox_events_cleared: int
    history_reasons_cleared: int = Field(
        description="Transfer and joint-handling entries whose reason (staff's free text, which may quote the "
        "reporter) was emptied; the entries stay."
    )
    reporter_erased_at: datetime


@router.get(
    "/personal-data/complaints/{complaint_id}",
    summary="What routing holds about a complaint's reporter (for an access request)",
)
async def held_by_routing(complaint_id: UUID, conn: Conn) -> HeldByRouting:
    row = await conn.fetchrow(
        "SELECT tracking_code, reporter, decided_at FROM routing_decisions WHERE complaint_id = $1", complaint_id
    )
    if row is None:
        raise Problem(
            status=404,
            slug="complaint-not-found",
            title=Text("Pengaduan tidak ditemukan", "Complaint not found"),
            detail=Text("Routing tidak menyimpan apa pun tentang pengaduan ini.", "Routing holds nothing about this complaint."),
        )
    return HeldByRouting(
        complaint_id=complaint_id,
        tracking_code=row["tracking_code"],
        reporter=_json(row["reporter"]),
        decided_at=row["decided_at"],
    )


def _json(value: str | dict | None) -> dict[str, Any] | None:
    return orjson.loads(value) if isinstance(value, str) else value


@router.post(
    "/personal-data/complaints/{complaint_id}/erase",
    summary="Drop the reporter's pseudonym and channels kept with the routing decision and in the outbox, also "
    "from a decision made later, and empty the transfer and joint-handling reasons written up to the erasure "
    "(idempotent)",
)
async def erase(complaint_id: UUID, conn: Conn) -> ErasedOut:
    erased = await commands.erase_reporter(conn=conn, complaint_id=complaint_id)
    return ErasedOut.model_validate(erased, from_attributes=True)
