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
from sigap_status.errors import ComplaintNotFound, StatusError
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


class PhotoMatch(BaseModel):
    """An earlier photo this one copies. Which one (and its complaint) is shown only when the
    staff member may see that complaint; otherwise only that such a match exists."""

    strength: Literal["strong", "weak"]
    confidence: float
    checks: list[str]
    figures: dict[str, float | int | bool]
    message: str
    earlier_complaint_visible: bool
    earlier_photo_id: UUID | None
    earlier_complaint_id: UUID | None
    earlier_complaint_url: str | None
    earlier_photo_url: str | None


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
    matches: list[PhotoMatch] = []


_MATCH_TEXT = {
    ("strong", True): Text(
        "Foto ini salinan foto pengaduan lain (dipastikan dengan pencocokan titik fitur).",
        "This photo is a copy of another complaint's photo (confirmed by feature matching).",
    ),
    ("strong", False): Text(
        "Foto ini salinan foto pengaduan yang tidak dapat Anda lihat (dinas lain).",
        "This photo is a copy of a photo of a complaint you cannot see (another department).",
    ),
    # Today's single perceptual hash (SIGAP_PHOTO_REUSE_VIEWS off): no feature check was made.
    ("hash", True): Text(
        "Foto ini sangat mirip foto pengaduan lain (menurut sidik gambar/perceptual hash).",
        "This photo closely matches another complaint's photo (by perceptual hash).",
    ),
    ("hash", False): Text(
        "Foto ini sangat mirip foto pengaduan yang tidak dapat Anda lihat (menurut sidik gambar).",
        "This photo closely matches a photo of a complaint you cannot see (by perceptual hash).",
    ),
    ("weak", True): Text(
        "Foto ini mirip foto pengaduan lain, tetapi terlalu polos untuk dipastikan; periksa sendiri.",
        "This photo resembles another complaint's photo but is too plain to confirm; please check.",
    ),
    ("weak", False): Text(
        "Foto ini mirip foto pengaduan yang tidak dapat Anda lihat; terlalu polos untuk dipastikan.",
        "This photo resembles a photo of a complaint you cannot see; too plain to confirm.",
    ),
}


async def _may_see(conn, staff, complaint_id: UUID | None, known: dict[UUID, bool]) -> bool:
    if complaint_id is None:
        return False
    if complaint_id not in known:
        try:
            await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
            known[complaint_id] = True
        except ComplaintNotFound:
            known[complaint_id] = False
    return known[complaint_id]


async def _matches(conn, staff, photo: dict, *, english: bool, known: dict[UUID, bool]) -> list[PhotoMatch]:
    out = []
    for match in photo.get("matches") or ():
        earlier_complaint = UUID(match["earlier_complaint_id"]) if match.get("earlier_complaint_id") else None
        visible = await _may_see(conn, staff, earlier_complaint, known)
        hash_only = match["strength"] == "strong" and "orb_ransac" not in match["checks"]
        text = _MATCH_TEXT[("hash" if hash_only else match["strength"], visible)]
        out.append(
            PhotoMatch(
                strength=match["strength"],
                confidence=match["confidence"],
                checks=match["checks"],
                figures=match.get("figures") or {},
                message=text.en if english else text.id,
                earlier_complaint_visible=visible,
                earlier_photo_id=match["earlier_photo_id"] if visible else None,
                earlier_complaint_id=earlier_complaint if visible else None,
                earlier_complaint_url=f"/v1/staff/complaints/{earlier_complaint}" if visible else None,
                earlier_photo_url=(
                    f"/v1/staff/complaints/{earlier_complaint}/photos/{match['earlier_photo_id']}" if visible else None
                ),
            )
        )
    return out


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
    known: dict[UUID, bool] = {}
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
                matches=await _matches(conn, staff, photo, english=english, known=known),
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
