"""What makes the citizen page an installable app that opens offline: the web app manifest and
the service worker. The worker is rendered with the exact (versioned) URLs to precache, so
any change to a page asset changes the worker's bytes and the browser installs the new one."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sigap_web.context import Context, State, translator

router = APIRouter(include_in_schema=False)

# The citizen's pages and everything they load, cached at install so they open offline.
SHELL_PAGES = ("/", "/lapor", "/lacak")
SHELL_ASSETS = [
    "css/sigap.css",
    "js/page.js",
    "js/queue.js",
    "js/camera.js",
    "js/report.js",
    "js/map.js",
    "js/home.js",
    "js/track.js",
    "icons/sigap.svg",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
]


@router.get("/manifest.webmanifest")
async def manifest(context: Context, state: State) -> Response:
    t = translator(context, state)
    icon = context.assets.url("icons/sigap.svg")
    body = {
        "name": t("app.name"),
        "short_name": "Sigap",
        "description": t("app.tagline"),
        "lang": state.lang,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@router.get("/sw.js")
async def service_worker(request: Request, context: Context) -> Response:
    assets = [context.assets.url(name) for name in SHELL_ASSETS]
    version = context.assets.fingerprint(SHELL_ASSETS)
    body = request.app.state.templates.env.get_template("sw.js.j2").render(
        version=version,
        precache=[*SHELL_PAGES, "/api/map/kelurahan.geojson", *assets],
        queue_script=context.assets.url("js/queue.js"),
    )
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
