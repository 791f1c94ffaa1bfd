"""`GET /v1/staff/complaints/{id}/photos[/{photo_id}]`: a complaint's photos for the staff who
may see it (the same rule as the staff complaint view: anyone else gets the 404 of an unknown
complaint, and intake is not asked). Intake keeps the photos; status only asks
(INTAKE_CONTRACT.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from sigap_shared.errors import Text
from sigap_shared.problems import preferred_language
from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import load_visible
from sigap_status.context import Intake
from sigap_status.errors import StatusError
from sigap_status.intake.client import IntakeClient, IntakeRefused, IntakeUnavailable

router = APIRouter(prefix="/v1", tags=["staff"])


class PhotoReason(BaseModel):
    code: str
    message: str


class PhotoCredentials(BaseModel):
    """The photo's Content Credentials (C2PA) as intake verified them at upload."""

    state: str
    # Signed by a maker or app on intake's trust list.
    trusted: bool = False
    claim_generator: str | None = None


class StaffPhotoOut(BaseModel):
    photo_id: UUID
    role: Literal["evidence", "after"]
    verdict: str
    reasons: list[PhotoReason]
    width: int
    height: int
    taken_at: datetime | None
    uploaded_at: datetime
    url: str
    # How far from the reported location the photo was taken (never where); not compared when
    # the photo or the complaint has no position.
    location_compared: bool = False
    location_distance_m: int | None = None
    content_credentials: PhotoCredentials | None = None


PHOTO_NOT_FOUND = Text("Pengaduan ini tidak punya foto dengan id tersebut.", "This complaint has no photo with that id.")


async def _visible(conn, staff, complaint_id: UUID, intake: IntakeClient | None) -> IntakeClient:
    """Intake's client, once the caller may see the complaint (intake is not asked otherwise)."""
    await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    if intake is None:
        raise IntakeUnavailable("SIGAP_INTAKE_INTERNAL_URL is not set")
    return intake


@router.get(
    "/staff/complaints/{complaint_id}/photos",
    summary="A complaint's photos with their live-photo verdicts and reasons (staff who may see the complaint)",
)
async def get_photos(
    complaint_id: UUID, staff: Staff, conn: Conn, intake: Intake, request: Request
) -> list[StaffPhotoOut]:
    intake = await _visible(conn, staff, complaint_id, intake)
    english = preferred_language(request) == "en"
    try:
        photos = await intake.complaint_photos(complaint_id=complaint_id)
    except IntakeRefused:
        raise IntakeUnavailable("intake refused the photo list") from None
    try:
        return [
            StaffPhotoOut(
                photo_id=photo["photo_id"],
                role=photo["role"],
                verdict=photo["verdict"],
                reasons=[
                    PhotoReason(code=reason["code"], message=reason["message_en" if english else "message_id"])
                    for reason in photo["reasons"]
                ],
                width=photo["width"],
                height=photo["height"],
                taken_at=photo["taken_at"],
                uploaded_at=photo["uploaded_at"],
                url=f"/v1/staff/complaints/{complaint_id}/photos/{photo['photo_id']}",
                # An intake from before the location and trust checks sends none of these.
                location_compared=photo.get("location_compared", False),
                location_distance_m=photo.get("location_distance_m"),
                content_credentials=photo.get("content_credentials"),
            )
            for photo in photos
        ]
    except (KeyError, TypeError, ValueError):
        raise IntakeUnavailable("intake answered an unreadable photo list") from None


@router.get(
    "/staff/complaints/{complaint_id}/photos/{photo_id}",
    summary="One of a complaint's photos as a JPEG without metadata (staff who may see the complaint)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def get_photo(complaint_id: UUID, photo_id: UUID, staff: Staff, conn: Conn, intake: Intake) -> Response:
    intake = await _visible(conn, staff, complaint_id, intake)
    try:
        data = await intake.complaint_photo(complaint_id=complaint_id, photo_id=photo_id)
    except IntakeRefused:
        raise StatusError("photo-not-found", PHOTO_NOT_FOUND) from None
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
