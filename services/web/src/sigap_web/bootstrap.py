"""Composition root of the web service: the app, its middleware and routers, and `main`.
No database, no Kafka: everything it shows comes from the four services over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.gzip import GZipMiddleware

from sigap_shared.metrics import install_metrics
from sigap_shared.runtime import run_app
from sigap_shared.tracing import fastapi_telemetry
from sigap_web import assets, errors
from sigap_web.admin import accounts as admin_accounts
from sigap_web.admin import settings_pages as admin_settings
from sigap_web.admin import triage as admin_triage
from sigap_web.citizen import api as citizen_api
from sigap_web.citizen import pages as citizen_pages
from sigap_web.citizen import pwa
from sigap_web.clients import Upstreams
from sigap_web.context import WebContext
from sigap_web.dashboard import actions as dashboard_actions
from sigap_web.dashboard import complaint as dashboard_complaint
from sigap_web.dashboard import live as dashboard_live
from sigap_web.dashboard import queue as dashboard_queue
from sigap_web.middleware import WebMiddleware
from sigap_web.officer import api as officer_api
from sigap_web.officer import pages as officer_pages
from sigap_web.privacy import pages as privacy_pages
from sigap_web.protection import csrf_protected
from sigap_web.settings import WebSettings
from sigap_web.staff import auth as staff_auth
from sigap_web.templating import Templates
from sigap_web.transparency import pages as transparency_pages


def _health_router(context: WebContext) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "web"}

    @router.get("/readyz", summary="Readiness: the four services answer")
    async def readyz() -> JSONResponse:
        upstreams = context.upstreams
        clients = (upstreams.intake, upstreams.routing, upstreams.status, upstreams.notify)
        results = await asyncio.gather(*(client.health() for client in clients))
        checks = {client.name: result for client, result in zip(clients, results, strict=True)}
        ready = all(result == "ok" for result in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "service": "web", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router


def create_app(settings: WebSettings, *, upstreams: Upstreams | None = None) -> FastAPI:
    context = WebContext.from_settings(settings, upstreams)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await context.upstreams.aclose()

    app = FastAPI(
        title="Sigap Web",
        description="The pages citizens and staff use; a backend-for-frontend over intake, routing, status and notify.",
        version="0.1.0",
        lifespan=lifespan,
        # Every state-changing request, page form or script call, passes the CSRF check.
        dependencies=[Depends(csrf_protected)],
        telemetry=fastapi_telemetry(),
        # No Swagger UI or ReDoc here: web's JSON routes serve its own pages, and the
        # generated pages need inline script, which the CSP forbids. /openapi.json stays.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.web = context
    app.state.templates = Templates(context)
    errors.install_error_handlers(app)
    app.add_exception_handler(staff_auth.LoginRequired, staff_auth.login_redirect)  # type: ignore[arg-type]
    app.include_router(_health_router(context))
    install_metrics(app)
    app.include_router(assets.build_router(context.assets))
    app.include_router(pwa.router)
    app.include_router(citizen_pages.router)
    app.include_router(citizen_api.router)
    app.include_router(staff_auth.router)
    app.include_router(transparency_pages.build_router())
    app.include_router(officer_pages.router)
    app.include_router(officer_api.router)
    app.include_router(admin_accounts.router)
    app.include_router(admin_settings.router)
    app.include_router(admin_triage.router)
    app.include_router(dashboard_queue.router)
    app.include_router(dashboard_live.router)
    app.include_router(dashboard_complaint.router)
    app.include_router(dashboard_actions.router)
    app.include_router(privacy_pages.router)
    # Outermost first: GZip sees the final body; the web middleware sets headers and cookies.
    app.add_middleware(WebMiddleware, context=context)
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=9)
    return app


def load_settings() -> WebSettings:
    return WebSettings()


def main() -> None:
    # httpx logs every upstream call at INFO; failures are logged by the clients themselves.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_app(load_settings(), lambda settings: create_app(settings))  # type: ignore[arg-type]
