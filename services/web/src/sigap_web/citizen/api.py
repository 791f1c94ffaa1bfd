"""The few calls the citizen page's scripts make, answered on the page's own origin (one
origin, one CSP, cookies never cross sites): a capture session for the web camera, the photo
upload, the complaint, routing's preview and the map. Each is forwarded to its service with
the browser's address, device id and language; intake's `Idempotency-Key` passes through, so a
report the service worker retries is still created once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.problems import Problem, Text
from sigap_web.context import Context, State, call_for, csrf_token

router = APIRouter(prefix="/api", tags=["citizen"])

# Intake refuses photos over 10 MB; a canvas JPEG is far smaller.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrackIn(_In):
    width: int = Field(ge=16, le=8192)
    height: int = Field(ge=16, le=8192)


class CaptureSessionIn(_In):
    track: TrackIn


class PointIn(_In):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PreviewIn(_In):
    description: str = Field(min_length=1, max_length=4000)
    location: PointIn | None = None


def _passthrough(response) -> Response:
    headers = {name: response.headers[name] for name in ("idempotent-replayed",) if name in response.headers}
    return Response(response.content, status_code=response.status_code, media_type="application/json", headers=headers)


@router.get("/csrf", summary="A fresh CSRF token (the service worker asks when a queued report's token was refused)")
async def csrf(context: Context, state: State) -> dict[str, str]:
    return {"csrf_token": csrf_token(context, state)}


@router.post("/capture-sessions", status_code=201, summary="Open a web-camera capture session at intake")
async def open_capture_session(body: CaptureSessionIn, request: Request, context: Context, state: State) -> dict:
    return await context.upstreams.intake.open_web_capture_session(
        call_for(request, state), track_width=body.track.width, track_height=body.track.height
    )


@router.post("/photos", summary="Upload the frame captured from the camera (JPEG) with its capture token")
async def upload_photo(
    request: Request,
    context: Context,
    state: State,
    file: Annotated[UploadFile, File()],
    capture_token: Annotated[str, Form(min_length=1, max_length=2000)],
    device_lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    device_lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    device_accuracy_m: Annotated[float | None, Form(ge=0, le=100_000)] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    jpeg = await file.read(MAX_PHOTO_BYTES + 1)
    if len(jpeg) > MAX_PHOTO_BYTES:
        raise Problem(
            status=413,
            slug="photo-too-large",
            title=Text("Foto terlalu besar", "Photo too large"),
            detail=Text("Foto maksimal 10 MB.", "A photo may be at most 10 MB."),
        )
    form = {"capture_token": capture_token}
    for name, value in (("device_lat", device_lat), ("device_lon", device_lon), ("device_accuracy_m", device_accuracy_m)):
        if value is not None:
            form[name] = repr(value)
    response = await context.upstreams.intake.upload_photo(
        call_for(request, state), jpeg=jpeg, form=form, idempotency_key=idempotency_key
    )
    return _passthrough(response)


@router.post("/complaints", summary="Send the report to intake (retried with the same Idempotency-Key)")
async def submit_complaint(
    complaint: dict[str, Any], request: Request, context: Context, state: State, idempotency_key: IdempotencyKey = None
) -> Response:
    response = await context.upstreams.intake.submit_complaint(
        call_for(request, state), complaint=complaint, idempotency_key=idempotency_key
    )
    return _passthrough(response)


@router.post("/routing/preview", summary="The department that would likely handle this report, and its kelurahan")
async def preview(body: PreviewIn, request: Request, context: Context, state: State) -> dict:
    call = call_for(request, state)
    answer = await context.upstreams.routing.preview(
        call,
        description=body.description,
        location=body.location.model_dump() if body.location else None,
    )
    return {
        "department": answer["department"],
        "department_name": await context.departments.name(answer["department"], call),
        "needs_triage": answer["needs_triage"],
        "confidence": answer["confidence"],
        "area": answer["area"],
    }


@router.get("/map/kelurahan.geojson", summary="Kota Depok's kelurahan boundaries (from routing), the map's base layer")
async def kelurahan(request: Request, context: Context, state: State) -> Response:
    boundaries = context.boundaries
    await boundaries.load(call_for(request, state))
    headers = {"ETag": boundaries.etag, "Cache-Control": "public, max-age=86400"}
    if boundaries.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(boundaries.body, media_type="application/geo+json", headers=headers)
