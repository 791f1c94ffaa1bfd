"""`GET /v1/photos/{id}/public`: a photo as the public may see it (metadata removed), only for
publicly listed evidence and the after-photos of finished reports."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sigap_intake import domain
from sigap_intake.context import Context
from sigap_intake.photos import queries
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["complaints"])


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
        raise domain.PhotoNotPublic() from None
    data, key = await queries.public_photo(conn=conn, photo_id=wanted, store=context.photo_store)
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
