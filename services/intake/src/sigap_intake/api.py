"""Intake's HTTP API: parse the request, call a handler, map domain errors to problem+json."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, File, Form, Header, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from sigap_intake import capture, domain, follow_up, handlers
from sigap_intake.context import Context, IntakeContext, get_context
from sigap_intake.errors import problem_for
from sigap_intake.rate_limit import retry_after_header
from sigap_intake.photo_checks import PhotoError
from sigap_shared.events import ComplaintKind, GeoPoint, PhotoVerdict, Privacy
from sigap_shared.problems import Problem, Text, invalid_input, preferred_language
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import VisibleText



async def _rate_limited(
    request: Request,
    context: Annotated[IntakeContext, Depends(get_context)],
    x_device_id: Annotated[str | None, Header(max_length=128)] = None,
) -> None:
    """429 with Retry-After when this device (or, looser, this IP) sends too much."""
    client_ip = request.client.host if request.client else "unknown"
    wait = context.ip_limiter.acquire(client_ip)
    if x_device_id and not wait:
        wait = context.device_limiter.acquire(x_device_id)
    elif not x_device_id and not wait:
        wait = context.device_limiter.acquire("ip:" + client_ip)
    if wait:
        raise Problem(
            status=429,
            slug="too-many-requests",
            title=Text("Terlalu banyak permintaan", "Too many requests"),
            detail=Text(
                f"Mohon tunggu {retry_after_header(wait)} detik sebelum mencoba lagi.",
                f"Please wait {retry_after_header(wait)} seconds before trying again.",
            ),
            headers={"Retry-After": retry_after_header(wait)},
        )


router = APIRouter(prefix="/v1", tags=["complaints"])
RateLimited = [Depends(_rate_limited)]

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{2,64}$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string per logical request (a UUID is fine). A retry with the same key "
        "and the same body gets the first answer again; nothing is created twice.",
    ),
]
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationIn(_Request):
    lat: float | None = Field(default=None, ge=-90, le=90, examples=[-6.3731])
    lon: float | None = Field(default=None, ge=-180, le=180, examples=[106.8190])
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ReporterIn(_Request):
    name: ShortText | None = None
    phone: PhoneNumber | None = None
    email: EmailStr | None = None


class ComplaintIn(_Request):
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


class ReasonOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["no_exif"])
    message: str


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


def _invalid(error: domain.IntakeError) -> Problem:
    return Problem(
        status=422,
        slug="validation-error",
        title=Text("Data yang dikirim tidak valid", "The submitted data is not valid"),
        detail=error.message,
        errors=[
            {
                "field": error.field,
                "in": "body",
                "message": error.message,
                "code": "rule",
            }
        ],
        **({"reasons": error.codes} if error.codes else {}),
    )


def _retry_key_reused() -> Problem:
    return Problem(
        status=422,
        slug="idempotency-key-reused",
        title=Text("Idempotency-Key sudah dipakai", "Idempotency-Key already used"),
        detail=Text(
            "Kunci Idempotency-Key ini sudah dipakai untuk permintaan lain dengan isi berbeda. "
            "Gunakan kunci baru untuk setiap permintaan baru; pakai ulang kunci hanya untuk mengulang "
            "permintaan yang sama persis.",
            "This Idempotency-Key was already used for a different request. Use a new key for each "
            "new request; reuse a key only to retry the very same request.",
        ),
    )


def _answer(outcome: handlers.Outcome, body: BaseModel) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    # pydantic serialises straight to JSON bytes, without a detour through Python dicts.
    return Response(
        body.model_dump_json(), status_code=outcome.status_code, headers=headers, media_type="application/json"
    )


def _reasons(stored: list[dict], lang: str) -> list[ReasonOut]:
    out = []
    for reason in stored:
        details = {k: v for k, v in reason.items() if k not in ("code", "message_id", "message_en")}
        out.append(
            ReasonOut(code=reason["code"], message=reason["message_en" if lang == "en" else "message_id"], **details)
        )
    return out


@router.post(
    "/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintAccepted,
    summary="Submit a complaint, suggestion or information request",
    dependencies=RateLimited,
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
    try:
        command = _to_command(body)
        async with request.app.state.runtime.pool.acquire() as conn:
            outcome = await handlers.submit_complaint(
                conn=conn,
                command=command,
                sealer=context.sealer,
                policy=context.policy,
                correlation_id=x_correlation_id,
                retry=retry,
                retry_ttl_s=context.settings.idempotency_ttl_s,
            )
    except domain.IntakeError as error:
        raise _invalid(error) from None
    except domain.RetryKeyReused:
        raise _retry_key_reused() from None
    receipt = domain.ComplaintReceipt.from_json(outcome.body)
    lang = preferred_language(request)
    return _answer(
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
                    reasons=_reasons([reason.to_json() for reason in photo.reasons], lang),
                )
                for photo in receipt.photos
            ],
        ),
    )


# -- capture sessions and photos ----------------------------------------------------------


class VideoTrackIn(_Request):
    width: int = Field(ge=16, le=8192, examples=[1280])
    height: int = Field(ge=16, le=8192, examples=[960])


class CaptureSessionIn(_Request):
    source: Literal["app", "web_camera"] = Field(
        default="app",
        description="'web_camera': a web page captures a frame of a live video track onto a canvas "
        "(no EXIF); the photo is then judged against the track's size (see WEB_CAPTURE.md).",
    )
    track: VideoTrackIn | None = Field(
        default=None, description="The video track's width and height as the page reports them (web_camera)."
    )


class CaptureSessionOut(BaseModel):
    session_id: UUID
    capture_token: str = Field(description="Send with exactly one photo upload, before it expires.")
    expires_at: datetime
    source: Literal["app", "web_camera"] = "app"


class ContentCredentialsOut(BaseModel):
    state: Literal["absent", "valid", "trusted", "invalid", "unreadable"]
    claim_generator: str | None = None
    failures: list[str] = []
    generated_by_ai: bool = False


class PhotoOut(BaseModel):
    id: UUID
    verdict: PhotoVerdict
    reasons: list[ReasonOut]
    media_type: str
    width: int
    height: int
    taken_at: datetime | None = None
    content_credentials: ContentCredentialsOut | None = None
    capture_source: Literal["app", "web_camera"] = "app"


@router.post(
    "/capture-sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=CaptureSessionOut,
    tags=["photos"],
    summary="Get a capture token right before opening the camera",
    dependencies=RateLimited,
)
async def open_capture_session(
    conn: Conn, context: Context, body: Annotated[CaptureSessionIn | None, Body()] = None
) -> CaptureSessionOut:
    track = None
    if body is not None and body.source == "web_camera":
        if body.track is None:
            raise invalid_input(
                field="track",
                location="body",
                message=Text("wajib diisi untuk kamera web", "is required for the web camera"),
                detail=Text(
                    "Sesi kamera web perlu ukuran video (track.width, track.height) yang dilaporkan halaman.",
                    "A web-camera session needs the video size (track.width, track.height) the page reports.",
                ),
            )
        track = capture.VideoTrack(width=body.track.width, height=body.track.height)
    session, token = await handlers.open_capture_session(
        conn=conn, tokens=context.capture_tokens, policy=context.policy, track=track
    )
    return CaptureSessionOut(
        session_id=session.id, capture_token=token, expires_at=session.expires_at, source=session.source  # type: ignore[arg-type]
    )


@router.post(
    "/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=PhotoOut,
    tags=["photos"],
    summary="Upload one photo taken live, with its capture token; answered with its verdict",
    dependencies=RateLimited,
)
async def upload_photo(
    request: Request,
    conn: Conn,
    context: Context,
    file: Annotated[UploadFile, File(description="JPEG, HEIC or PNG straight from the camera")],
    capture_token: Annotated[str, Form(min_length=1, max_length=2000)],
    category: Annotated[CategoryCode | None, Form()] = None,
    device_lat: Annotated[float | None, Form(ge=-90, le=90, description="web camera: the device's latitude")] = None,
    device_lon: Annotated[float | None, Form(ge=-180, le=180, description="web camera: the device's longitude")] = None,
    device_accuracy_m: Annotated[float | None, Form(ge=0, description="web camera: the position's accuracy")] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    max_bytes = context.policy.max_bytes
    data = await file.read(max_bytes + 1)
    retry = None
    if idempotency_key is not None:
        fingerprint = hashlib.sha256()
        position = f"{device_lat},{device_lon}".encode()
        for part in (capture_token.encode(), (category or "").encode(), hashlib.sha256(data).digest(), position):
            fingerprint.update(hashlib.sha256(part).digest())
        retry = domain.RetryKey(scope="photos", key=idempotency_key, request_hash=fingerprint.digest())
    try:
        outcome = await handlers.upload_photo(
            conn=conn,
            data=data,
            capture_token=capture_token,
            category=category,
            tokens=context.capture_tokens,
            store=context.photo_store,
            sealer=context.sealer,
            policy=context.policy,
            retry=retry,
            retry_ttl_s=context.settings.idempotency_ttl_s,
            device_position=_device_position(device_lat, device_lon, device_accuracy_m, context.policy),
        )
    except (PhotoError, capture.CaptureTokenError) as error:
        raise problem_for(error) from None
    except domain.RetryKeyReused:
        raise _retry_key_reused() from None
    body = outcome.body
    return _answer(
        outcome,
        PhotoOut(
            id=body["id"],
            verdict=body["verdict"],
            reasons=_reasons(body["reasons"], preferred_language(request)),
            media_type=body["media_type"],
            width=body["width"],
            height=body["height"],
            taken_at=body["taken_at"],
            content_credentials=body.get("content_credentials"),
            capture_source=body.get("capture_source", "app"),
        ),
    )


def _device_position(
    lat: float | None, lon: float | None, accuracy_m: float | None, policy
) -> tuple[float, float] | None:
    """A position vaguer than the distance the location check allows cannot support it."""
    if lat is None or lon is None:
        return None
    if accuracy_m is not None and accuracy_m > policy.gps_max_distance_m:
        return None
    return (lat, lon)


def _photo_not_found() -> Problem:
    return Problem(
        status=404,
        slug="photo-not-found",
        title=Text("Foto tidak ditemukan", "Photo not found"),
        detail=Text(
            "Foto ini tidak ada atau tidak ditampilkan untuk umum.",
            "This photo does not exist or is not shown publicly.",
        ),
    )


@router.get(
    "/photos/{photo_id}/public",
    tags=["photos"],
    summary="A photo as the public may see it: a JPEG with all metadata (GPS, device, XMP, C2PA) removed",
    description="Served for the evidence of publicly listed reports, and for an officer's after-photos "
    "once the report is finished (selesai). Anything else, including unknown ids, is 404.",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"content": {"application/problem+json": {}}}},
)
async def public_photo(photo_id: str, conn: Conn, context: Context, request: Request) -> Response:
    try:
        wanted = UUID(photo_id)
    except ValueError:
        raise _photo_not_found() from None
    try:
        data, key = await handlers.public_photo(conn=conn, photo_id=wanted, store=context.photo_store)
    except domain.PhotoNotPublic:
        raise _photo_not_found() from None
    # The key names the copy's SHA-256: a strong validator for free.
    etag = '"' + key.rsplit("/", 1)[-1].removesuffix(".jpg") + '"'
    headers = {
        "ETag": etag,
        # Short: a report can be reopened, and its after-photos then stop being public.
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type="image/jpeg", headers=headers)


# -- tracking and follow-up ---------------------------------------------------------------

TrackingCode = Annotated[str, StringConstraints(pattern=r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$")]
FollowUpTokenHeader = Annotated[
    str | None, Header(max_length=200, description="The follow-up token given when the report was sent")
]


class TimelineEntryOut(BaseModel):
    event_type: str
    status: str | None = None
    department: str | None = None
    note: str | None = None
    occurred_at: datetime


class TrackingOut(BaseModel):
    tracking_code: str
    kind: str
    category: str | None = None
    status: str
    department: str | None = None
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


def _token(header: str | None, query: str | None) -> str | None:
    return header or query


@router.get(
    "/track/{tracking_code}",
    response_model=TrackingOut,
    tags=["follow-up"],
    summary="Follow a report by its tracking code (with the token for confidential and anonymous reports)",
)
async def track(
    tracking_code: TrackingCode,
    conn: Conn,
    x_follow_up_token: FollowUpTokenHeader = None,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> TrackingOut:
    try:
        view = await handlers.track(conn=conn, tracking_code=tracking_code, token=_token(x_follow_up_token, token))
    except follow_up.FollowUpError as error:
        raise problem_for(error) from None
    return TrackingOut.model_validate(view)


class InformationIn(_Request):
    text: VisibleText(min_length=3, max_length=4000)
    photos: list[UUID] = Field(default_factory=list, max_length=5)


class RatingIn(_Request):
    rating: int = Field(ge=1, le=5, description="1 = poor, 5 = excellent")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReopenIn(_Request):
    reason: VisibleText(min_length=10, max_length=2000)


class FollowUpAccepted(BaseModel):
    event_id: UUID
    message: str


def _accepted(envelope, message: Text, request: Request) -> FollowUpAccepted:
    return FollowUpAccepted(event_id=envelope.id, message=message.pick(preferred_language(request)))


@router.post(
    "/track/{tracking_code}/information",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Add information or photos to an open report",
    dependencies=RateLimited,
)
async def add_information(
    tracking_code: TrackingCode,
    body: InformationIn,
    request: Request,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    try:
        envelope = await handlers.add_information(
            conn=conn,
            tracking_code=tracking_code,
            token=x_follow_up_token,
            text=body.text,
            photo_ids=tuple(body.photos),
            policy=context.policy,
        )
    except follow_up.FollowUpError as error:
        raise problem_for(error) from None
    except domain.IntakeError as error:
        raise _invalid(error) from None
    return _accepted(envelope, Text("Informasi tambahan diterima.", "Additional information received."), request)


@router.post(
    "/track/{tracking_code}/rating",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Rate the handling of a resolved report (1-5)",
    dependencies=RateLimited,
)
async def rate(
    tracking_code: TrackingCode,
    body: RatingIn,
    request: Request,
    conn: Conn,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    try:
        envelope = await handlers.rate(
            conn=conn, tracking_code=tracking_code, token=x_follow_up_token, rating=body.rating, comment=body.comment
        )
    except follow_up.FollowUpError as error:
        raise problem_for(error) from None
    return _accepted(envelope, Text("Terima kasih atas penilaian Anda.", "Thank you for your rating."), request)


@router.post(
    "/track/{tracking_code}/reopen",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Ask to reopen a resolved report, with a reason, within the allowed days",
    dependencies=RateLimited,
)
async def reopen(
    tracking_code: TrackingCode,
    body: ReopenIn,
    request: Request,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    try:
        envelope = await handlers.request_reopen(
            conn=conn,
            tracking_code=tracking_code,
            token=x_follow_up_token,
            reason=body.reason,
            window_days=context.settings.reopen_window_days,
        )
    except follow_up.FollowUpError as error:
        raise problem_for(error) from None
    return _accepted(
        envelope,
        Text("Permintaan pembukaan kembali diterima.", "Your request to reopen the report was received."),
        request,
    )
