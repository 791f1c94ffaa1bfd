"""LAPOR!'s HTTP API: the admin actions (tunda, lanjutkan, arsipkan) answering with the
complaint as staff see it, a complaint's LAPOR! stage by tracking code for the citizen's
tracking page, and the city admin's export in the documented mapping (JSON Lines)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.errors import Text
from sigap_shared.runtime import Conn, CurrentRuntime
from sigap_shared.storable import SaneMoment
from sigap_shared.visible_text import visible_or_none
from sigap_status.auth.dependencies import staff_in
from sigap_status.context import Lapor, Policy
from sigap_status.errors import ComplaintNotFound, InvalidInput
from sigap_status.lapor import commands, queries
from sigap_status.lapor.connector import complaint_record
from sigap_status.lapor.rules import stage_of
from sigap_status.lifecycle.views import StaffComplaintOut, staff_out

router = APIRouter(prefix="/v1", tags=["lapor"])

# Auditors and field officers reach the command and are refused there (403 with the reason).
Acting = staff_in("city_admin", "dept_admin", "field_officer", "auditor")
CityAdmin = staff_in("city_admin")


class PostponeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    expected_version: int = Field(ge=0)


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: int = Field(ge=0)


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["spam", "duplicate"]
    duplicate_of: UUID | None = None
    note: str | None = Field(default=None, max_length=4000)
    expected_version: int = Field(ge=0)


class StageOut(BaseModel):
    tracking_code: str
    status: str | None
    lapor_stage: str | None
    lapor_stage_label: str | None
    lapor_stage_label_en: str | None
    lapor_stage_due_at: datetime | None
    overdue: bool
    # Working days without a response after the department's follow-up before SP4N-LAPOR!
    # closes the complaint (SIGAP_LAPOR_CLOSE_DAYS): the tracking page states this number.
    close_days: int


@router.post(
    "/complaints/{complaint_id}/lapor/tunda",
    summary="Postpone a complaint with a reason (LAPOR! tunda); its SLA deadline stops meanwhile",
)
async def post_postpone(
    complaint_id: UUID, body: PostponeIn, staff: Acting, conn: Conn, policy: Policy, lapor: Lapor
) -> StaffComplaintOut:
    reason = visible_or_none(body.reason)
    if reason is None:
        raise InvalidInput("reason", Text("wajib diisi", "is required"))
    row = await commands.set_postponement(
        conn=conn, staff=staff, complaint_id=complaint_id, reason=reason, expected_version=body.expected_version, policy=policy
    )
    return staff_out(row, staff, lapor=lapor)


@router.post(
    "/complaints/{complaint_id}/lapor/lanjutkan",
    summary="Resume a postponed complaint (LAPOR! lanjutkan); its SLA deadline moves by the working days it waited",
)
async def post_resume(
    complaint_id: UUID, body: ResumeIn, staff: Acting, conn: Conn, policy: Policy, lapor: Lapor
) -> StaffComplaintOut:
    row = await commands.set_postponement(
        conn=conn, staff=staff, complaint_id=complaint_id, reason=None, expected_version=body.expected_version, policy=policy
    )
    return staff_out(row, staff, lapor=lapor)


@router.post(
    "/complaints/{complaint_id}/lapor/arsipkan",
    summary="Archive a complaint as spam or a duplicate (LAPOR! arsipkan): rejects it with that reason",
)
async def post_archive(
    complaint_id: UUID, body: ArchiveIn, staff: Acting, conn: Conn, policy: Policy, lapor: Lapor, request: Request
) -> StaffComplaintOut:
    row = await commands.archive(
        conn=conn,
        staff=staff,
        complaint_id=complaint_id,
        reason=body.reason,
        duplicate_of=body.duplicate_of,
        note=body.note,
        expected_version=body.expected_version,
        policy=policy,
        correlation_id=request.headers.get("x-correlation-id"),
    )
    return staff_out(row, staff, lapor=lapor)


@router.get(
    "/track/{tracking_code}/lapor-stage",
    tags=["public"],
    summary="A complaint's SP4N-LAPOR! stage by its tracking code (only the stage: no text, no names)",
)
async def get_stage(
    tracking_code: Annotated[str, Path(max_length=32)], conn: Conn, lapor: Lapor
) -> StageOut:
    row = await queries.find_by_tracking_code(conn=conn, tracking_code=tracking_code.strip().upper())
    if row is None:
        raise ComplaintNotFound(tracking_code)
    stage = stage_of(row, lapor, now=datetime.now(UTC))
    label = stage.label()
    return StageOut(
        tracking_code=row["tracking_code"],
        status=row["status"],
        lapor_stage=stage.stage,
        lapor_stage_label=label.id if label else None,
        lapor_stage_label_en=label.en if label else None,
        lapor_stage_due_at=stage.due_at,
        overdue=stage.overdue,
        close_days=lapor.close_days,
    )


@router.get(
    "/lapor/export",
    summary="Every received complaint in the LAPOR! field mapping of docs/lapor.md, as JSON Lines (city admin)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def get_export(
    staff: CityAdmin,
    runtime: CurrentRuntime,
    lapor: Lapor,
    since: Annotated[SaneMoment | None, Query(description="only complaints changed at or after this instant")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    now = datetime.now(UTC)

    async def lines() -> AsyncIterator[bytes]:
        async with runtime.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            async for row in queries.export_rows(conn=conn, since=since, department=department):
                yield orjson.dumps(complaint_record(row, lapor, now=now)) + b"\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="sigap-lapor-{now:%Y%m%d}.jsonl"'},
    )
