"""`/v1/privacy/...`: the data protection officer's screens for personal-data requests
(UU 27/2022). The requests live at intake (its `privacy/` package); status signs the officer
in and tells intake who acts, so the role in intake's audit is the one status knows. The `dpo`
answers; a `city_admin` may also record a request verified at a counter or by letter, and may
read the queue, a request and its audit, but never an access answer's export (it carries the
reporter's identity, which only the dpo handles)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from sigap_shared.errors import Text
from sigap_shared.visible_text import VisibleText
from sigap_status.auth.dependencies import staff_in
from sigap_status.context import Intake
from sigap_status.errors import InvalidInput, StatusError
from sigap_status.intake.client import IntakeClient, IntakeRefused, IntakeUnavailable
from sigap_status.lifecycle.rules import NotPermitted

router = APIRouter(prefix="/v1/privacy", tags=["personal-data"])

Officer = staff_in("dpo")
Recorder = staff_in("dpo", "city_admin")
Reader = Recorder
EXPORT_ROLE = "dpo"


def _intake(intake: IntakeClient | None) -> IntakeClient:
    if intake is None:
        raise IntakeUnavailable("SIGAP_INTAKE_INTERNAL_URL is not set")
    return intake


def _refused(refusal: IntakeRefused) -> StatusError:
    detail = str(refusal.problem.get("detail") or "")
    text = Text(detail, detail) if detail else Text("Intake menolak permintaan ini.", "Intake refused this request.")
    if refusal.status == 403:
        return NotPermitted(text)
    if refusal.status == 404:
        return StatusError("privacy-request-not-found", text)
    if refusal.status == 409:
        return StatusError("privacy-request-refused", text)
    return InvalidInput("body", Text("tidak valid", "invalid"), detail=text)


def _for(role: str, request: dict[str, Any]) -> dict[str, Any]:
    """A request as this role may read it: the export only for the dpo."""
    return request if role == EXPORT_ROLE else request | {"export": None}


@router.get("/requests", summary="Personal-data requests in a state, the earliest deadline (72 hours) first")
async def queue(
    staff: Reader, intake: Intake, response: Response, state: Literal["open", "answered", "refused"] = "open"
) -> list[dict[str, Any]]:
    requests = await _intake(intake).privacy_requests(state=state)
    response.headers["Cache-Control"] = "no-store"
    return [_for(staff.role, request) for request in requests]


@router.get(
    "/requests/{request_id}",
    summary="One personal-data request; with export=true a granted access request carries its export "
    "(for the dpo only; intake audits each delivery)",
)
async def one_request(
    request_id: UUID,
    staff: Reader,
    intake: Intake,
    response: Response,
    export: Annotated[bool, Query(description="Take the export of a granted access request (dpo only)")] = False,
) -> dict[str, Any]:
    export_to = (staff.username, staff.role) if export and staff.role == EXPORT_ROLE else None
    try:
        request = await _intake(intake).privacy_request(request_id=request_id, export_to=export_to)
    except IntakeRefused as refusal:
        if refusal.status == 404:
            raise StatusError(
                "privacy-request-not-found",
                Text("Permintaan data pribadi tidak ditemukan.", "Personal-data request not found."),
            ) from None
        raise _refused(refusal) from None
    response.headers["Cache-Control"] = "no-store"
    return _for(staff.role, request)


class RecordIn(BaseModel):
    tracking_code: Annotated[str, StringConstraints(pattern=r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$")]
    kind: Literal["access", "correction", "restriction", "deletion"]
    details: VisibleText(min_length=3, max_length=2000) | None = None


@router.post(
    "/requests",
    status_code=201,
    summary="Record a request that reached the city another way, once you checked who is asking",
)
async def record(body: RecordIn, staff: Recorder, intake: Intake) -> dict[str, Any]:
    payload = body.model_dump(exclude_none=True) | {"actor": staff.username, "actor_role": staff.role}
    try:
        return await _intake(intake).record_privacy_request(payload)
    except IntakeRefused as refusal:
        raise _refused(refusal) from None


class AnswerIn(BaseModel):
    decision: Literal["answered", "refused"]
    reason: VisibleText(min_length=3, max_length=2000) = Field(
        description="What was done, or why the request is refused (e.g. the Art. 15 exemption)"
    )
    corrected_identity: dict[str, str] | None = Field(None, description="For a correction: name, phone and/or email")


@router.post("/requests/{request_id}/answer", summary="Answer or refuse a personal-data request (dpo only)")
async def answer(
    request_id: UUID, body: AnswerIn, staff: Officer, intake: Intake, response: Response
) -> dict[str, Any]:
    payload = body.model_dump(exclude_none=True) | {"actor": staff.username, "actor_role": staff.role}
    try:
        answered = await _intake(intake).answer_privacy_request(request_id=request_id, body=payload)
    except IntakeRefused as refusal:
        raise _refused(refusal) from None
    # An access answer carries the reporter's identity: no cache keeps it.
    response.headers["Cache-Control"] = "no-store"
    return answered


@router.get("/audit", summary="Every personal-data step taken for a complaint, oldest first")
async def audit(complaint_id: Annotated[UUID, Query()], staff: Reader, intake: Intake) -> list[dict[str, Any]]:
    return await _intake(intake).privacy_audit(complaint_id=complaint_id)
