"""Intake's internal API for the staff dashboard (through status, which decides who may see
which complaint): a complaint's photos (the reporter's evidence and the officers'
after-photos) with their live-photo verdicts and reasons, and each photo as a JPEG stripped of
its metadata. Status asks for these only on behalf of staff it has let see the complaint
(services/status/INTAKE_CONTRACT.md §3). Every call needs the internal bearer token."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from sigap_intake.context import Context
from sigap_intake.photos import evidence, queries, repository
from sigap_shared.auth import require_internal_token
from sigap_shared.events import PhotoVerdict
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class PhotoReasonOut(BaseModel):
    code: str
    message_id: str
    message_en: str


class ContentCredentialsSummary(BaseModel):
    state: Literal["valid", "trusted", "invalid", "unreadable"]
    # True only when the signer is on the configured trust list (SIGAP_C2PA_TRUST_ANCHORS).
    trusted: bool = False
    claim_generator: str | None = None


class PhotoMatchOut(BaseModel):
    """An earlier photo this one was found to copy. Status shows the earlier complaint only to
    staff who may see it."""

    earlier_photo_id: UUID
    earlier_complaint_id: UUID | None  # None while the earlier photo is attached to nothing
    earlier_role: Literal["evidence", "after"]
    strength: Literal["strong", "weak"]  # strong: confirmed by local features; weak: hashes only
    confidence: float
    hash_distance: int | None  # bits of 64; None when only the SIFT keys proposed the earlier photo
    checks: list[str]
    # The local-feature check's figures (inliers, matches, coverage, agreement, detail_agreement, mirrored).
    figures: dict[str, float | int | bool]


class ComplaintPhotoOut(BaseModel):
    photo_id: UUID
    role: Literal["evidence", "after"]
    verdict: PhotoVerdict
    # Only what the check concluded, in both languages; which earlier photo a reuse matches is
    # in `matches`, which status filters by what the staff member asking may see.
    reasons: list[PhotoReasonOut]
    width: int
    height: int
    taken_at: datetime | None
    uploaded_at: datetime
    # What the location check found once the complaint's location was known: the distance
    # between where the photo was taken and the reported location, never either position.
    location_compared: bool = False
    location_distance_m: int | None = None
    # The photo's Content Credentials (C2PA) as verified at upload; None: it carried none.
    content_credentials: ContentCredentialsSummary | None = None
    matches: list[PhotoMatchOut] = []


class ComplaintPhotosOut(BaseModel):
    complaint_id: UUID
    photos: list[ComplaintPhotoOut]


@router.get(
    "/complaints/{complaint_id}/photos",
    summary="A complaint's photos (evidence, then after-photos) with their verdicts and reasons (for status)",
)
async def complaint_photos(complaint_id: UUID, conn: Conn) -> ComplaintPhotosOut:
    rows = await repository.complaint_photo_rows(conn=conn, complaint_id=complaint_id)
    matches: dict[UUID, list[PhotoMatchOut]] = defaultdict(list)
    for match in await repository.complaint_photo_matches(conn=conn, complaint_id=complaint_id):
        figures = orjson.loads(match["details"]) if match["details"] else {}
        matches[match["photo_id"]].append(
            PhotoMatchOut(
                earlier_photo_id=match["earlier_photo_id"],
                earlier_complaint_id=match["earlier_complaint_id"],
                earlier_role=match["earlier_role"],
                strength=match["strength"],
                confidence=round(match["confidence"] or 0.0, 2),
                hash_distance=match["distance"] if match["distance"] < evidence.KEY_ONLY_DISTANCE else None,
                checks=_checks(match["details"], figures),
                figures={k: v for k, v in figures.items() if k not in ("confidence", "checks")},
            )
        )
    return ComplaintPhotosOut(
        complaint_id=complaint_id,
        photos=[
            ComplaintPhotoOut(
                photo_id=row["id"],
                role="evidence" if row["complaint_id"] == complaint_id else "after",
                verdict=row["verdict"],
                reasons=[
                    PhotoReasonOut(code=str(r["code"]), message_id=str(r["message_id"]), message_en=str(r["message_en"]))
                    for r in orjson.loads(row["reasons"])
                ],
                width=row["width"],
                height=row["height"],
                taken_at=row["taken_at"],
                uploaded_at=row["uploaded_at"],
                location_compared=row["location_distance_m"] is not None,
                location_distance_m=row["location_distance_m"],
                content_credentials=_credentials(row["content_credentials"]),
                matches=matches.get(row["id"], []),
            )
            for row in rows
        ],
    )


def _checks(details: str | None, figures: dict[str, object]) -> list[str]:
    # No details at all: found by today's single perceptual hash (SIGAP_PHOTO_REUSE_VIEWS off).
    if details is None:
        return [evidence.LEGACY_CHECK]
    # Recorded at upload since the key check (SIGAP_PHOTO_REUSE_KEYS): which sources found the
    # earlier photo, then whether its features were compared.
    recorded = figures.get("checks")
    if isinstance(recorded, list):
        return [str(check) for check in recorded]
    return list(evidence.CHECKS if figures else evidence.CHECKS[:1])


def _credentials(stored: str | None) -> ContentCredentialsSummary | None:
    if stored is None:
        return None
    credentials = orjson.loads(stored)
    return ContentCredentialsSummary(
        state=credentials["state"],
        trusted=credentials["state"] == "trusted",
        claim_generator=credentials.get("claim_generator"),
    )


@router.get(
    "/complaints/{complaint_id}/photos/{photo_id}",
    summary="One of a complaint's photos as a JPEG without metadata (for status)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def complaint_photo(complaint_id: UUID, photo_id: UUID, conn: Conn, context: Context) -> Response:
    data = await queries.complaint_photo(
        conn=conn, store=context.photo_store, complaint_id=complaint_id, photo_id=photo_id
    )
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})
