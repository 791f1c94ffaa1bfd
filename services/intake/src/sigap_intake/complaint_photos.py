"""Intake's internal API for the staff dashboard (through status, which decides who may see
which complaint): a complaint's photos (the reporter's evidence and the officers'
after-photos) with their live-photo verdicts and reasons, and each photo as a JPEG stripped of
its metadata. Status asks for these only on behalf of staff it has let see the complaint
(services/status/INTAKE_CONTRACT.md §3). Every call needs the internal bearer token."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal
from uuid import UUID

import orjson
import structlog
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from sigap_intake import photo_checks, repository
from sigap_intake.context import Context
from sigap_shared.auth import require_internal_token
from sigap_shared.events import PhotoVerdict
from sigap_shared.problems import Problem, Text
from sigap_shared.runtime import Conn

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class PhotoReasonOut(BaseModel):
    code: str
    message_id: str
    message_en: str


class ComplaintPhotoOut(BaseModel):
    photo_id: UUID
    role: Literal["evidence", "after"]
    verdict: PhotoVerdict
    # Only what the check concluded, in both languages: the details of a reuse match name
    # another complaint, which the staff member asking may not be allowed to see.
    reasons: list[PhotoReasonOut]
    width: int
    height: int
    taken_at: datetime | None
    uploaded_at: datetime


class ComplaintPhotosOut(BaseModel):
    complaint_id: UUID
    photos: list[ComplaintPhotoOut]


def _photo_not_found() -> Problem:
    return Problem(
        status=404,
        slug="photo-not-found",
        title=Text("Foto tidak ditemukan", "Photo not found"),
        detail=Text("Pengaduan ini tidak punya foto dengan id tersebut.", "This complaint has no photo with that id."),
    )


_COLUMNS = "id, complaint_id, after_photo_of, verdict, reasons, width, height, taken_at, uploaded_at"


@router.get(
    "/complaints/{complaint_id}/photos",
    response_model=ComplaintPhotosOut,
    summary="A complaint's photos (evidence, then after-photos) with their verdicts and reasons (for status)",
)
async def complaint_photos(complaint_id: UUID, conn: Conn) -> ComplaintPhotosOut:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM photos WHERE complaint_id = $1 OR after_photo_of = $1"
        " ORDER BY (after_photo_of IS NOT NULL), uploaded_at, id",
        complaint_id,
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
            )
            for row in rows
        ],
    )


@router.get(
    "/complaints/{complaint_id}/photos/{photo_id}",
    summary="One of a complaint's photos as a JPEG without metadata (for status)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def complaint_photo(complaint_id: UUID, photo_id: UUID, conn: Conn, context: Context) -> Response:
    row = await conn.fetchrow(
        "SELECT original_key, public_key FROM photos WHERE id = $1 AND (complaint_id = $2 OR after_photo_of = $2)",
        photo_id,
        complaint_id,
    )
    if row is None:
        raise _photo_not_found()
    store = context.photo_store
    data: bytes | None = None
    if row["public_key"] is not None:
        try:
            data = await asyncio.to_thread(store.get, row["public_key"])
        except FileNotFoundError:
            log.warning("public_photo_copy_missing", photo_id=str(photo_id))
    if data is None:
        # The same stripped copy the public gets, made once and kept (content-addressed).
        original = await asyncio.to_thread(store.get, row["original_key"])
        data = await asyncio.to_thread(photo_checks.public_copy, original)
        public_key = await asyncio.to_thread(store.put, data, area="public", suffix=".jpg")
        await repository.set_public_key(conn=conn, photo_id=photo_id, public_key=public_key)
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})
