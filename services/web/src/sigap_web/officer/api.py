"""The field officer's changes as JSON, for the task page's device queue (IndexedDB, sent by
the service worker or the page until accepted): `POST /api/tugas/{id}/transitions` starts work
(`dalam_proses`) or finishes it (`selesai` with a note and the live after-photo).

A queued change may be sent again after an answer was lost on the way back, always with the
same `Idempotency-Key` (the after-photo's own key makes intake store the photo once). Status
refuses a repeated change with 409, as it carries the version the complaint had before the
first one was applied, so a retry can never make a second transition. That 409 is then told
apart from a real conflict by looking at the task: when it already stands where this change
took it (for a finish: with exactly this change's after-photos), the answer is the change's
success, marked `Idempotent-Replayed: true`."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, WebContext, WebState, call_for
from sigap_web.session import StaffSession
from sigap_web.staff.auth import LoginRequired, require_staff

router = APIRouter(prefix="/api/tugas", tags=["officer"])

_officer_page = require_staff("field_officer")


async def _officer(request: Request, context: Context, state: State) -> StaffSession:
    """A script's call answers 401 when the session is gone (a page would go to the login page):
    the queue keeps the change and sends it after the officer logs in again."""
    try:
        return await _officer_page(request, context, state)
    except LoginRequired:
        raise context.catalogues.problem(status=401, slug="login-required") from None


Officer = Annotated[StaffSession, Depends(_officer)]
IdempotencyKey = Annotated[str, Header(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]


class TaskChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["dalam_proses", "selesai"]
    expected_version: int = Field(ge=0, le=2**31 - 1)
    resolution_note: str | None = Field(default=None, max_length=4000)
    after_photo_ids: list[UUID] = Field(default_factory=list, max_length=5)


def already_applied(task: dict, change: TaskChange) -> bool:
    """Whether the task already shows this change done (so a refused retry was the same change)."""
    if task.get("status") != change.to:
        return False
    if change.to == "selesai":
        return {str(photo) for photo in change.after_photo_ids} == {str(photo) for photo in task.get("after_photo_ids") or []}
    return True


async def _replayed(
    request: Request, context: WebContext, state: WebState, staff: StaffSession, complaint_id: UUID, change: TaskChange
) -> dict | None:
    task = await context.upstreams.status.get_json(
        f"/v1/staff/tasks/{complaint_id}", call_for(request, state, token=staff.access_token)
    )
    return task if already_applied(task, change) else None


@router.post("/{complaint_id}/transitions", summary="Start or finish one of the officer's tasks (retried safely)")
async def change_task(
    complaint_id: UUID,
    change: TaskChange,
    request: Request,
    context: Context,
    state: State,
    staff: Officer,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    body = change.model_dump(mode="json", exclude_none=True)
    if change.to != "selesai":
        body.pop("after_photo_ids", None)
    try:
        answer = await context.upstreams.status.post_json(
            f"/v1/complaints/{complaint_id}/transitions",
            call_for(request, state, token=staff.access_token),
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
    except UpstreamRefused as refused:
        task = await _replayed(request, context, state, staff, complaint_id, change) if refused.status == 409 else None
        if task is None:
            raise
        return JSONResponse(_outcome(task), headers={"Idempotent-Replayed": "true"})
    return JSONResponse(_outcome(answer))


def _outcome(complaint: dict) -> dict:
    return {
        "id": str(complaint["id"]),
        "status": complaint.get("status"),
        "version": complaint.get("version"),
        "after_photo_ids": [str(photo) for photo in complaint.get("after_photo_ids") or []],
    }
