"""`GET /v1/routing/areas/kelurahan`: Kota Depok's kelurahan boundaries, the map routing locates
complaints on (public, cached by ETag)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from sigap_routing.context import Engine

router = APIRouter(prefix="/v1/routing", tags=["routing"])


@router.get(
    "/areas/kelurahan",
    summary="Kota Depok's kelurahan boundaries as GeoJSON, the map routing locates complaints on (public)",
    description="Source and licence (MIT, wilayah_boundaries by cahya dsn): see the `license` member.",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def kelurahan_boundaries(request: Request, engine: Engine) -> Response:
    body = engine.geography.kelurahan_geojson()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)
