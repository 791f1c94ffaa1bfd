"""Submitting a complaint (`POST /v1/complaints`) and following it by tracking code
(`GET /v1/track/{code}`): parse, call the command or query, answer."""

from __future__ import annotations


import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from sigap_intake import domain
from sigap_intake.inputs import (
    CategoryCode,
    FollowUpTokenHeader,
    IdempotencyKey,
    PhoneNumber,
    created,
    ReasonOut,
    ShortText,
    StrictRequest,
    TrackingCode,
    reasons_out,
    replayable_answer,
)
from sigap_intake.context import Context
from sigap_shared.events import ComplaintKind, GeoPoint, PhotoVerdict, Privacy
from sigap_shared.problems import Text, preferred_language
from sigap_shared.runtime import Conn
from sigap_intake.complaints import commands, queries

router = APIRouter(prefix="/v1", tags=["complaints"])


class LocationIn(StrictRequest):
    lat: float | None = Field(default=None, ge=-90, le=90, examples=[-6.3731])
    lon: float | None = Field(default=None, ge=-180, le=180, examples=[106.8190])
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ReporterIn(StrictRequest):
    name: ShortText | None = None
    phone: PhoneNumber | None = None
    email: EmailStr | None = None


class ComplaintIn(StrictRequest):
    kind: ComplaintKind = "pengaduan"
    title: ShortText | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]
    category: CategoryCode | None = None
    location: LocationIn | None = None
    privacy: Privacy = "publik"
    publicly_visible: bool = Field(
        default=True,
        description="For 'publik' reports: false keeps the report out of public listings (Open311, "
        "tracking without the token). Confidential and anonymous reports are never listed.",
    )
    reporter: ReporterIn | None = None
    photos: list[UUID] = Field(default_factory=list, max_length=5, description="Ids from POST /v1/photos")


class AttachedPhotoOut(BaseModel):
    id: UUID
    verdict: PhotoVerdict
    reasons: list[ReasonOut]


class ComplaintAccepted(BaseModel):
    id: UUID
    tracking_code: str = Field(examples=["SGP-7K3M-Q9"])
    follow_up_token: str = Field(description="Secret for following up without an account; shown once.")
    status: Literal["diterima_intake"] = "diterima_intake"
    message: str
    photo_verdict: PhotoVerdict | None = None
    photos: list[AttachedPhotoOut] = []


def _to_command(body: ComplaintIn) -> domain.SubmitComplaint:
    location = body.location
    point = None
    if location is not None and (location.lat is not None or location.lon is not None):
        if location.lat is None or location.lon is None:
            raise domain.IntakeError(
                field="location",
                message=Text(
                    id="Lintang (lat) dan bujur (lon) harus diisi keduanya.",
                    en="Give both lat and lon.",
                ),
            )
        point = GeoPoint(lat=location.lat, lon=location.lon)
    reporter = (
        domain.ReporterContact(name=body.reporter.name, phone=body.reporter.phone, email=body.reporter.email)
        if body.reporter is not None
        else None
    )
    return domain.SubmitComplaint(
        kind=body.kind,
        title=body.title,
        description=body.description,
        category=body.category,
        location=point,
        address=location.address if location else None,
        privacy=body.privacy,
        publicly_visible=body.publicly_visible,
        reporter=reporter,
        photo_ids=tuple(body.photos),
    )


@created(
    router, "/complaints", response_model=ComplaintAccepted,
    summary="Submit a complaint, suggestion or information request",
)
async def submit_complaint(
    body: ComplaintIn,
    request: Request,
    context: Context,
    idempotency_key: IdempotencyKey = None,
    x_correlation_id: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    retry = None
    if idempotency_key is not None:
        retry = domain.RetryKey(
            scope="complaints",
            key=idempotency_key,
            request_hash=hashlib.sha256(body.model_dump_json().encode()).digest(),
        )
    # The busiest endpoint takes its connection itself rather than through a yield dependency,
    # which FastAPI wraps in an exit stack per request.
    command = _to_command(body)
    async with context.pool.acquire() as conn:
        outcome = await commands.submit_complaint(
            conn=conn,
            command=command,
            sealer=context.sealer,
            policy=context.policy,
            correlation_id=x_correlation_id,
            retry=retry,
            retry_ttl_s=context.settings.idempotency_ttl_s,
        )
    receipt = domain.ComplaintReceipt.from_json(outcome.body)
    lang = preferred_language(request)
    return replayable_answer(
        outcome,
        ComplaintAccepted(
            id=receipt.id,
            tracking_code=receipt.tracking_code,
            follow_up_token=receipt.follow_up_token,
            message=(
                f"Your report was received with code {receipt.tracking_code}. "
                "Keep this code and token to follow the report."
                if lang == "en"
                else f"Laporan Anda diterima dengan kode {receipt.tracking_code}. "
                "Simpan kode dan token ini untuk memantau laporan."
            ),
            photo_verdict=receipt.photo_verdict,
            photos=[
                AttachedPhotoOut(
                    id=photo.id,
                    verdict=photo.verdict,
                    reasons=reasons_out([reason.to_json() for reason in photo.reasons], lang),
                )
                for photo in receipt.photos
            ],
        ),
    )


class TimelineEntryOut(BaseModel):
    event_type: str
    status: str | None = None
    department: str | None = None
    department_name: str | None = None
    note: str | None = None
    occurred_at: datetime


class TrackingOut(BaseModel):
    tracking_code: str
    kind: str
    category: str | None = None
    status: str
    department: str | None = None
    # The department's name in the city's taxonomy (null when routing cannot be asked).
    department_name: str | None = None
    submitted_at: datetime
    status_changed_at: datetime | None = None
    resolution_note: str | None = None
    after_photo_ids: list[UUID] = []
    photo_verdict: PhotoVerdict | None = None
    rating: int | None = None
    title: str | None = None
    description: str | None = None
    address: str | None = None
    timeline: list[TimelineEntryOut]
    can_reopen: bool = Field(
        default=False,
        description="Whether the reporter may ask to reopen now (POST /v1/track/{code}/reopen would be accepted).",
    )
    reopen_until: datetime | None = Field(
        default=None,
        description="For a resolved report not closed by SP4N-LAPOR!: the latest moment a reopen is accepted, "
        "SIGAP_REOPEN_WINDOW_DAYS after the follow-up. LAPOR!'s auto-close (status's "
        "`/v1/track/{code}/lapor-stage`, `lapor_stage_due_at`) normally ends the window earlier.",
    )
    lapor_closed_at: datetime | None = Field(
        default=None,
        description="When SP4N-LAPOR!'s auto-close closed the resolved report (no reaction within the response "
        "window after the follow-up); from then on it cannot be reopened by its reporter.",
    )


def _token(header: str | None, query: str | None) -> str | None:
    return header or query


@router.get(
    "/track/{tracking_code}",
    tags=["follow-up"],
    summary="Follow a report by its tracking code (with the token for confidential and anonymous reports)",
)
async def track(
    tracking_code: TrackingCode,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenHeader = None,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> TrackingOut:
    view = await queries.track(
        conn=conn,
        tracking_code=tracking_code,
        token=_token(x_follow_up_token, token),
        reopen_window=timedelta(days=context.settings.reopen_window_days),
        now=datetime.now(UTC),
    )
    names = await context.department_names.names() if context.department_names is not None else {}
    for entry in [view, *view["timeline"]]:
        entry["department_name"] = names.get(entry["department"] or "")
    return TrackingOut.model_validate(view)
