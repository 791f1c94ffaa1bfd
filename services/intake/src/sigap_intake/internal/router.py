"""Intake's internal API for other Sigap services (not exposed to the internet). For notify
(services/notify/INTAKE_CONTRACT.md): resolving a reporter pseudonym to a contact at send time,
and checking a tracking code + follow-up token. For status (services/status/INTAKE_CONTRACT.md):
claiming live after-photos for a finished complaint, and the audited reveal of a reporter's
identity with its access log. Every call needs the internal bearer token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from sigap_intake import domain
from sigap_intake.complaints import repository as complaint_repository
from sigap_intake.context import Context
from sigap_intake.follow_up import rules as follow_up
from sigap_intake.inputs import StrictRequest
from sigap_intake.internal import commands, repository
from sigap_intake.rate_limit import retry_after_header
from sigap_shared.auth import require_internal_token
from sigap_shared.events import PhotoVerdict
from sigap_shared.problems import Problem, Text, invalid_input
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import VisibleText

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class ResolveContactIn(StrictRequest):
    pseudonym: str = Field(min_length=1, max_length=64)
    channel: Literal["email", "sms", "push", "whatsapp"]


class ContactOut(BaseModel):
    address: str
    language: Literal["id", "en"] = "id"


def _not_found(detail_id: str, detail_en: str) -> Problem:
    return Problem(
        status=404, slug="not-found", title=Text("Tidak ditemukan", "Not found"), detail=Text(detail_id, detail_en)
    )


def e164(phone: str) -> str:
    """Indonesian numbers as written by people ("0812-3456-7890") in E.164 ("+6281234567890")."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("+"):
        return digits
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return "+62" + digits


@router.post("/reporter-contacts/resolve", summary="Contact of a pseudonymous reporter")
async def resolve_contact(body: ResolveContactIn, conn: Conn, context: Context) -> ContactOut:
    found = await repository.sealed_identity_by_pseudonym(conn=conn, pseudonym=body.pseudonym)
    if found is None:
        raise _not_found("Pelapor tidak dikenal.", "Unknown reporter.")
    complaint_id, sealed = found
    identity = context.sealer.open(sealed, bound_to=complaint_id.bytes)
    assert isinstance(identity, dict)
    address = None
    if body.channel == "email":
        address = identity.get("email")
    elif body.channel in ("sms", "whatsapp") and identity.get("phone"):
        address = e164(identity["phone"])
    if not address:
        raise _not_found("Pelapor tidak punya alamat di kanal ini.", "The reporter has no address on this channel.")
    return ContactOut(address=address)


class VerifyFollowUpIn(StrictRequest):
    tracking_code: str = Field(min_length=1, max_length=32)
    follow_up_token: str = Field(min_length=1, max_length=200)


class VerifiedOut(BaseModel):
    complaint_id: UUID


@router.post("/follow-up/verify", summary="Check a tracking code + follow-up token")
async def verify_follow_up(body: VerifyFollowUpIn, conn: Conn, context: Context) -> VerifiedOut:
    wait = await context.verify_limiter.acquire(body.tracking_code)
    if wait:
        raise Problem(
            status=429,
            slug="too-many-requests",
            title=Text("Terlalu banyak permintaan", "Too many requests"),
            headers={"Retry-After": retry_after_header(wait)},
        )
    complaint = await complaint_repository.tracked_complaint(conn=conn, tracking_code=body.tracking_code)
    if complaint is None or not complaint.token_matches(body.follow_up_token):
        raise _not_found(follow_up.not_found().message.id, follow_up.not_found().message.en)
    return VerifiedOut(complaint_id=complaint.id)


# -- for status: after-photos -------------------------------------------------------------


class ClaimAfterPhotosIn(StrictRequest):
    complaint_id: UUID
    photo_ids: list[UUID] = Field(min_length=1, max_length=5)


class ClaimedPhotoOut(BaseModel):
    photo_id: UUID
    verdict: PhotoVerdict
    reasons: list[str] = Field(description="Reason codes, e.g. no_exif, old_photo, gps_far_from_location")


class ClaimedPhotosOut(BaseModel):
    photos: list[ClaimedPhotoOut]


@dataclass(frozen=True)
class _PhotoRefusal:
    title: Text
    detail: Text  # `{ids}` stands for the photos concerned
    code: str
    message: Text


_NOT_UPLOADED = _PhotoRefusal(
    title=Text("Foto tidak ditemukan", "Photo not found"),
    detail=Text("Foto belum pernah diunggah: {ids}.", "Photo never uploaded: {ids}."),
    code="unknown_photo",
    message=Text("foto tidak dikenal", "unknown photo"),
)
_IN_USE = _PhotoRefusal(
    title=Text("Foto sudah dipakai", "Photo already used"),
    detail=Text(
        "Foto sudah menjadi bukti laporan warga atau foto hasil laporan lain: {ids}. Ambil foto baru.",
        "Photo already a citizen's evidence or another complaint's after-photo: {ids}. Take a new photo.",
    ),
    code="photo_in_use",
    message=Text("foto sudah dipakai", "photo already used"),
)


def _photo_problem(
    status: int, slug: str, refusal: _PhotoRefusal, photo_ids: list[UUID], wanted: list[UUID]
) -> Problem:
    """Each photo concerned gets an entry whose `field` is the photo id itself (what status
    shows its user) and `pointer` where it was sent."""
    ids = ", ".join(map(str, photo_ids))
    errors = [
        {"field": str(photo_id), "in": "body", "pointer": f"/photo_ids/{wanted.index(photo_id)}"}
        | {"message": refusal.message, "code": refusal.code}
        for photo_id in photo_ids
    ]
    detail = Text(refusal.detail.id.format(ids=ids), refusal.detail.en.format(ids=ids))
    return Problem(status=status, slug=slug, title=refusal.title, detail=detail, errors=errors)


@router.post(
    "/after-photos/claim",
    summary="Bind live photos to a finished complaint as its after-photos, with their verdicts",
)
async def claim_after_photos(body: ClaimAfterPhotosIn, conn: Conn, context: Context) -> ClaimedPhotosOut:
    if len(set(body.photo_ids)) != len(body.photo_ids):
        raise invalid_input(
            field="photo_ids",
            location="body",
            message=Text("duplikat", "duplicate"),
            code="duplicate",
            detail=Text("Foto yang sama disebut lebih dari sekali.", "The same photo is listed more than once."),
        )
    try:
        judged = await commands.claim_after_photos(
            conn=conn, complaint_id=body.complaint_id, photo_ids=tuple(body.photo_ids), policy=context.policy
        )
    except domain.UnknownComplaint:
        raise Problem(
            status=404,
            slug="complaint-not-found",
            title=Text("Tidak ditemukan", "Not found"),
            detail=Text("Laporan tidak dikenal oleh intake.", "Intake does not know this complaint."),
            errors=[
                {
                    "field": "complaint_id",
                    "in": "body",
                    "message": Text("laporan tidak dikenal", "unknown complaint"),
                    "code": "unknown_complaint",
                }
            ],
        ) from None
    except domain.UnknownPhotos as error:
        raise _photo_problem(404, "photo-not-found", _NOT_UPLOADED, error.photo_ids, body.photo_ids) from None
    except domain.PhotosInUse as error:
        raise _photo_problem(409, "photo-already-used", _IN_USE, error.photo_ids, body.photo_ids) from None
    return ClaimedPhotosOut(
        photos=[
            ClaimedPhotoOut(
                photo_id=photo.id,
                verdict=photo.verdict,
                reasons=list(dict.fromkeys(reason.code for reason in photo.reasons)),
            )
            for photo in judged
        ]
    )


# -- for status: the audited reveal of a reporter's identity -------------------------------


class RevealIdentityIn(StrictRequest):
    complaint_id: UUID
    actor: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    actor_role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: VisibleText(min_length=5, max_length=500)


def _complaint_not_found() -> Problem:
    return _not_found("Laporan tidak dikenal oleh intake.", "Intake does not know this complaint.")


@router.post(
    "/identities/reveal",
    summary="A reporter's identity for the city admin; every request is written to the access log",
)
async def reveal_identity(body: RevealIdentityIn, conn: Conn, context: Context) -> domain.RevealedIdentity:
    try:
        revealed = await commands.reveal_identity(
            conn=conn,
            complaint_id=body.complaint_id,
            actor=body.actor,
            actor_role=body.actor_role,
            reason=body.reason,
            sealer=context.sealer,
        )
    except domain.UnknownComplaint:
        raise _complaint_not_found() from None
    except domain.IdentityRevealRefused as refused:
        raise Problem(
            status=403,
            slug="identity-reveal-forbidden",
            title=Text("Tidak diizinkan", "Forbidden"),
            detail=Text(
                "Hanya admin kota (city_admin) yang boleh melihat identitas pelapor. Permintaan ini dicatat.",
                "Only the city admin (city_admin) may see a reporter's identity. This request was logged.",
            ),
            audit_id=str(refused.audit_id),
        ) from None
    return revealed


class AccessLogEntryOut(BaseModel):
    audit_id: UUID
    complaint_id: UUID
    actor: str
    actor_role: str
    reason: str
    outcome: Literal["revealed", "refused"]
    at: datetime


class AccessLogOut(BaseModel):
    entries: list[AccessLogEntryOut]


@router.get(
    "/identities/access-log",
    summary="Who asked to see a complaint's reporter identity, newest first",
)
async def identity_access_log(complaint_id: Annotated[UUID, Query()], conn: Conn) -> AccessLogOut:
    entries = await commands.identity_access_log(conn=conn, complaint_id=complaint_id)
    return AccessLogOut(entries=[AccessLogEntryOut.model_validate(entry) for entry in entries])
