"""How the web service answers what went wrong: problem+json (RFC 9457, in the page's
language) for the page scripts' /api/ calls, and an error page for everything a person opened
directly. An upstream 4xx passes through with the service's own problem; an unreachable or
failing service is a 503 that says to try again shortly."""

from __future__ import annotations

from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sigap_shared.problems import (
    INTERNAL_ERROR,
    INVALID_INPUT_TITLE,
    PROBLEM_JSON,
    Problem,
    Text,
    install_problem_handlers,
    problem_response,
    temporarily_unavailable,
    validation_error_response,
)
from sigap_web.clients import UpstreamRefused, UpstreamUnavailable

log = structlog.get_logger(__name__)

_UNAVAILABLE = temporarily_unavailable(
    slug="service-unavailable",
    detail=Text(
        "Sigap sedang tidak dapat menjangkau salah satu layanannya. Tidak ada yang hilang; coba lagi sebentar lagi.",
        "Sigap cannot reach one of its services right now. Nothing was lost; try again shortly.",
    ),
    retry_after_s=5,
)

_PAGE_TITLES = {
    403: Text("Tidak diizinkan", "Not allowed"),
    404: Text("Halaman tidak ditemukan", "Page not found"),
    405: Text("Metode tidak diizinkan", "Method not allowed"),
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def _page(request: Request, *, status: int, title: str, detail: str | None, headers: dict[str, str]) -> Response:
    templates = request.app.state.templates
    return templates.render(
        request, "error.html", status_code=status, headers=headers, title=title, detail=detail, status=status
    )


def _lang(request: Request) -> str:
    state = getattr(request.state, "web", None)
    return state.lang if state is not None else "id"


async def on_problem(request: Request, problem: Problem) -> Response:
    if wants_json(request):
        return problem_response(request, problem)
    lang = _lang(request)
    return _page(
        request,
        status=problem.status,
        title=problem.title.pick(lang),
        detail=problem.detail.pick(lang) if problem.detail else None,
        headers=problem.headers,
    )


async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    title = _PAGE_TITLES.get(exc.status_code, Text(str(exc.detail), str(exc.detail)))
    return await on_problem(
        request, Problem(status=exc.status_code, slug=f"http-{exc.status_code}", title=title, headers=exc.headers)
    )


async def on_upstream_unavailable(request: Request, exc: UpstreamUnavailable) -> Response:
    return await on_problem(request, _UNAVAILABLE)


async def on_upstream_refused(request: Request, exc: UpstreamRefused) -> Response:
    """A service's 4xx that a route did not handle itself: its own words, its own status.
    A 401 means the service no longer accepts this staff session (the account was
    deactivated or changed, its tokens revoked): the session ends here too, and a person
    is sent to the login page."""
    state = getattr(request.state, "web", None)
    if exc.status == 401 and state is not None and state.session is not None:
        state.set_session(None)
        if not wants_json(request):
            return RedirectResponse(f"/masuk?next={quote(request.url.path, safe='/')}", status_code=303)
    if wants_json(request):
        headers = {name: exc.headers[name] for name in ("retry-after",) if name in exc.headers}
        return JSONResponse(exc.problem, status_code=exc.status, media_type=PROBLEM_JSON, headers=headers)
    return _page(request, status=exc.status, title=str(exc.problem.get("title", "")), detail=exc.message, headers={})


async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    if wants_json(request):
        return await validation_error_response(request, exc)
    lang = _lang(request)
    fields = ", ".join(str(error.get("loc", ("", ""))[-1]) for error in exc.errors())
    return _page(
        request,
        status=422,
        title=INVALID_INPUT_TITLE.pick(lang),
        detail=Text(f"Periksa kolom berikut: {fields}", f"Check these fields: {fields}").pick(lang),
        headers={},
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback (never its locals), answered without internals."""
    log.exception("request_failed_unexpectedly", path=request.url.path)
    return await on_problem(request, INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    install_problem_handlers(app)  # the shared 500 and database handlers
    app.add_exception_handler(Problem, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(UpstreamUnavailable, on_upstream_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(UpstreamRefused, on_upstream_refused)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)
