"""The files the browser loads: the service's own static folder and an allow-list of library
files from the npm packages `deploy/web.sh` installed (node_modules is never committed, and
nothing is fetched from a CDN). Each URL carries a content hash (`?v=`), so a versioned asset
is cached for a year and a changed file is a new URL; the service worker precaches the same
URLs. Responses are gzip-compressed by the app's GZip middleware."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

# URL under /static/ -> path under node_modules: only what the pages use.
VENDOR_FILES = {
    "vendor/leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "vendor/leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    **{
        f"vendor/leaflet/images/{name}": f"leaflet/dist/images/{name}"
        for name in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
    },
    "vendor/uplot/uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
    "vendor/uplot/uPlot.min.css": "uplot/dist/uPlot.min.css",
}
LICENCES = {"vendor/leaflet/LICENSE": "leaflet/LICENSE", "vendor/uplot/LICENSE": "uplot/LICENSE"}

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
IMMUTABLE = "public, max-age=31536000, immutable"


class MissingAssets(RuntimeError):
    pass


class Assets:
    def __init__(self, *, static_dir: Path, node_modules: Path) -> None:
        self.files: dict[str, Path] = {
            path.relative_to(static_dir).as_posix(): path for path in sorted(static_dir.rglob("*")) if path.is_file()
        }
        missing = []
        for url, relative in {**VENDOR_FILES, **LICENCES}.items():
            path = node_modules / relative
            if not path.is_file():
                missing.append(str(path))
            self.files[url] = path
        if missing:
            raise MissingAssets(
                "the web service's JavaScript libraries are not installed (missing "
                + ", ".join(missing[:3])
                + "): run `bash deploy/web.sh assets` (make install does), or set SIGAP_WEB_NODE_MODULES"
            )
        self.versions = {url: hashlib.sha256(path.read_bytes()).hexdigest()[:12] for url, path in self.files.items()}

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.versions[name]}"

    def fingerprint(self, names: list[str]) -> str:
        return hashlib.sha256("|".join(self.versions[name] for name in names).encode()).hexdigest()[:12]


def media_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def build_router(assets: Assets) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{name:path}")
    async def static_file(name: str, request: Request) -> Response:
        path = assets.files.get(name)
        if path is None:
            return Response(status_code=404)
        versioned = request.query_params.get("v") == assets.versions[name]
        return FileResponse(
            path, media_type=media_type(path), headers={"Cache-Control": IMMUTABLE if versioned else "no-cache"}
        )

    return router
