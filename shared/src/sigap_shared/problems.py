"""RFC 9457 problem details for every error a Sigap API returns, in Bahasa Indonesia first
and English when the client's Accept-Language prefers it. A 500 is a bug, so unexpected
errors are logged with their traceback and answered without internals."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from sigap_shared.db import TRANSIENT_DB_ERRORS
from sigap_shared.errors import Text

__all__ = ["Problem", "Text"]  # Text is at home in sigap_shared.errors; most APIs take it from here

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"


class Problem(Exception):
    """Raise from an API route to answer with a problem+json body."""

    def __init__(
        self,
        *,
        status: int,
        slug: str,
        title: Text,
        detail: Text | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(title.en)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


INVALID_INPUT_TITLE = Text("Data yang dikirim tidak valid", "The submitted data is not valid")


def invalid_input(*, field: str, location: str, message: Text, detail: Text, **error: Any) -> Problem:
    """A 422 about one field, shaped like the answer to a request that failed validation:
    `location` is where the field was (`body`, `query`, `path`, `header`); `error` adds keys
    to its entry in `errors` (e.g. `code`)."""
    return Problem(
        status=422,
        slug="validation-error",
        title=INVALID_INPUT_TITLE,
        detail=detail,
        errors=[{"field": field, "in": location, "message": message, **error}],
    )


def preferred_language(request: Request) -> str:
    """'en' when the client ranks English above Indonesian, else 'id'."""
    header = request.headers.get("accept-language", "")
    best_lang, best_q = "id", -1.0
    for part in header.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.split("-")[0]
        if lang in ("id", "en") and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    lang = preferred_language(request)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.slug,
        "title": problem.title.pick(lang),
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail is not None:
        body["detail"] = problem.detail.pick(lang)
    body.update({name: _localise(value, lang) for name, value in problem.extensions.items()})
    return JSONResponse(
        body,
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={"Content-Language": lang, **problem.headers},
    )


def _localise(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return value.pick(lang)
    if isinstance(value, dict):
        return {key: _localise(item, lang) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_localise(item, lang) for item in value]
    return value


_FIELD_MESSAGES: dict[str, Text] = {
    "missing": Text("wajib diisi", "is required"),
    "extra_forbidden": Text("kolom ini tidak dikenal", "is not a known field"),
    "string_too_short": Text(
        "terlalu pendek: minimal {min_length} karakter", "is too short: at least {min_length} characters"
    ),
    "string_too_long": Text(
        "terlalu panjang: maksimal {max_length} karakter", "is too long: at most {max_length} characters"
    ),
    "text_not_visible": Text(
        "terlalu pendek: minimal {min_length} karakter yang terlihat (spasi dan karakter tak terlihat tidak dihitung)",
        "is too short: at least {min_length} visible characters (spaces and invisible characters do not count)",
    ),
    "too_long": Text("terlalu banyak: maksimal {max_length}", "has too many items: at most {max_length}"),
    "too_short": Text("terlalu sedikit: minimal {min_length}", "has too few items: at least {min_length}"),
    "greater_than_equal": Text("harus ≥ {ge}", "must be ≥ {ge}"),
    "less_than_equal": Text("harus ≤ {le}", "must be ≤ {le}"),
    "greater_than": Text("harus > {gt}", "must be > {gt}"),
    "less_than": Text("harus < {lt}", "must be < {lt}"),
    "literal_error": Text("harus salah satu dari: {expected}", "must be one of: {expected}"),
    "enum": Text("harus salah satu dari: {expected}", "must be one of: {expected}"),
    "float_parsing": Text("harus berupa angka", "must be a number"),
    "float_type": Text("harus berupa angka", "must be a number"),
    "int_parsing": Text("harus berupa bilangan bulat", "must be an integer"),
    "string_type": Text("harus berupa teks", "must be text"),
    "uuid_parsing": Text("bukan UUID yang valid", "is not a valid UUID"),
    "model_type": Text("harus berupa objek JSON", "must be a JSON object"),
    "dict_type": Text("harus berupa objek JSON", "must be a JSON object"),
    "list_type": Text("harus berupa daftar (array)", "must be a list (array)"),
    "json_invalid": Text("JSON tidak valid", "is not valid JSON"),
    "value_error": Text("{message}", "{message}"),
    "date_out_of_range": Text("harus antara {earliest} dan {latest}", "must be between {earliest} and {latest}"),
}


def _field_message(error: dict[str, Any], lang: str) -> str:
    if error.get("type") == "value_error" and "email" in str(error.get("msg", "")):
        return Text("bukan alamat email yang valid", "is not a valid email address").pick(lang)
    template = _FIELD_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    context = dict(error.get("ctx") or {})
    context.setdefault("message", str(error.get("msg", "")).removeprefix("Value error, "))
    try:
        return template.pick(lang).format(**context)
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


def _field_name(location: tuple[Any, ...], code: str | None = None) -> str:
    if code == "json_invalid":
        return "(body)"
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "(body)"


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    lang = preferred_language(request)
    errors = [
        {
            "field": _field_name(tuple(error.get("loc", ())), error.get("type")),
            "in": str(error.get("loc", ("body",))[0]),
            "message": _field_message(error, lang),
            "code": error.get("type"),
        }
        for error in exc.errors()
    ]
    return problem_response(
        request,
        Problem(
            status=422,
            slug="validation-error",
            title=INVALID_INPUT_TITLE,
            detail=Text(
                "Periksa kolom berikut: " + ", ".join(e["field"] for e in errors),
                "Check these fields: " + ", ".join(e["field"] for e in errors),
            ),
            errors=errors,
        ),
    )


_HTTP_TITLES: dict[int, Text] = {
    404: Text("Tidak ditemukan", "Not found"),
    405: Text("Metode tidak diizinkan", "Method not allowed"),
    415: Text("Jenis konten tidak didukung", "Unsupported media type"),
}


# Public for apps that answer validation errors their own way on some paths (the web service's
# pages) and in the shared shape on others.
validation_error_response = _on_validation_error


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = _HTTP_TITLES.get(exc.status_code, Text(str(exc.detail), str(exc.detail)))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        request, Problem(status=exc.status_code, slug=f"http-{exc.status_code}", title=title, headers=headers)
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route of this path answers: the router names only the first route
    whose path matched, which misses the others when one path has several routes (GET and PUT)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(request, exc)


def temporarily_unavailable(*, slug: str, detail: Text, retry_after_s: int) -> Problem:
    """A 503: something the request needs cannot be reached right now; `Retry-After` says when
    trying again may help, and `detail` what was (not) done meanwhile."""
    return Problem(
        status=503,
        slug=slug,
        title=Text("Layanan sedang tidak tersedia", "Service temporarily unavailable"),
        detail=detail,
        headers={"Retry-After": str(retry_after_s)},
    )


# A 500, the answer to a bug: logged where it happened, answered without internals.
INTERNAL_ERROR = Problem(
    status=500,
    slug="internal-error",
    title=Text("Terjadi kesalahan pada server", "Internal server error"),
    detail=Text("Kesalahan ini sudah dicatat. Silakan coba lagi.", "The error has been logged. Please try again."),
)

_DATABASE_UNAVAILABLE = temporarily_unavailable(
    slug="temporarily-unavailable",
    detail=Text("Silakan coba lagi sebentar lagi. Tidak ada data yang hilang.", "Please try again shortly. Nothing was lost."),
    retry_after_s=2,
)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("request_database_unavailable", path=request.url.path, error=repr(exc))
    return problem_response(request, _DATABASE_UNAVAILABLE)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request_failed_unexpectedly", path=request.url.path)
    return problem_response(request, INTERNAL_ERROR)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Problem, _on_problem)
    for error_type in TRANSIENT_DB_ERRORS:
        app.add_exception_handler(error_type, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
