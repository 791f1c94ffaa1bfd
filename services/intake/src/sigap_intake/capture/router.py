"""Capture sessions (`POST /v1/capture-sessions`) and live photo uploads (`POST /v1/photos`),
answered with the photo's verdict."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sigap_intake import domain
from sigap_intake.capture import commands
from sigap_intake.capture import tokens as capture
from sigap_intake.context import Context
from sigap_intake.inputs import (
    CategoryCode,
    IdempotencyKey,
    created,
    ReasonOut,
    StrictRequest,
    reasons_out,
    replayable_answer,
)
from sigap_shared.events import PhotoVerdict
from sigap_shared.problems import Text, invalid_input, preferred_language
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["complaints"])


class VideoTrackIn(StrictRequest):
    width: int = Field(ge=16, le=8192, examples=[1280])
    height: int = Field(ge=16, le=8192, examples=[960])


class CaptureSessionIn(StrictRequest):
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
    # True only when the signer is on the trust list (SIGAP_C2PA_TRUST_ANCHORS).
    trusted: bool = False
    claim_generator: str | None = None
    signer: str | None = None
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


@created(
    router, "/capture-sessions", response_model=CaptureSessionOut, tags=["photos"],
    summary="Get a capture token right before opening the camera",
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
    session, token = await commands.open_capture_session(
        conn=conn, tokens=context.capture_tokens, policy=context.policy, track=track
    )
    return CaptureSessionOut(
        session_id=session.id, capture_token=token, expires_at=session.expires_at, source=session.source  # type: ignore[arg-type]
    )


@created(
    router, "/photos", response_model=PhotoOut, tags=["photos"],
    summary="Upload one photo taken live, with its capture token; answered with its verdict",
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
    report_lat: Annotated[
        float | None, Form(ge=-90, le=90, description="the reported problem's latitude, when known at capture")
    ] = None,
    report_lon: Annotated[
        float | None, Form(ge=-180, le=180, description="the reported problem's longitude, when known at capture")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    max_bytes = context.policy.max_bytes
    data = await file.read(max_bytes + 1)
    retry = None
    if idempotency_key is not None:
        fingerprint = hashlib.sha256()
        position = f"{device_lat},{device_lon},{report_lat},{report_lon}".encode()
        for part in (capture_token.encode(), (category or "").encode(), hashlib.sha256(data).digest(), position):
            fingerprint.update(hashlib.sha256(part).digest())
        retry = domain.RetryKey(scope="photos", key=idempotency_key, request_hash=fingerprint.digest())
    outcome = await commands.upload_photo(
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
        reported=(report_lat, report_lon) if report_lat is not None and report_lon is not None else None,
    )
    body = outcome.body
    return replayable_answer(
        outcome,
        PhotoOut(
            id=body["id"],
            verdict=body["verdict"],
            reasons=reasons_out(body["reasons"], preferred_language(request)),
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
