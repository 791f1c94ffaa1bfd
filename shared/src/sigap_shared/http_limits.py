"""What any Sigap API accepts before a route sees a request: bodies up to a size (413 otherwise,
decided from Content-Length before reading, or while counting a chunked body), and text
PostgreSQL can store (422 for NUL or a lone surrogate in any path, query, JSON or form value).
Both answer problem+json; `install_http_limits` sets them up for a service's app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sigap_shared.problems import INVALID_INPUT_TITLE, Problem, Text, problem_response
from sigap_shared.storable import code_point, unstorable_fields

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):g} MB"
    return f"{n_bytes / 1024:g} KB"


def body_too_large(limit: int) -> Problem:
    return Problem(
        status=413,
        slug="request-too-large",
        title=Text("Data yang dikirim terlalu besar", "Request body too large"),
        detail=Text(
            f"Alamat ini menerima paling banyak {_size(limit)} data per permintaan.",
            f"This address accepts at most {_size(limit)} per request.",
        ),
        max_bytes=limit,
    )


class BodyTooLarge(StarletteHTTPException):
    # An HTTPException, so that FastAPI passes it on unchanged when it surfaces while a route's
    # body is read (any other error there becomes a 400 "error parsing the body").
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.problem = body_too_large(limit)


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` (or, for the exact paths in `larger`, over their
    own limit). A declared Content-Length over the limit is answered at once and the app never
    runs; a body without one (chunked) is counted as the app reads it and stops at the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        limit = self.larger.get(path, self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = problem_response(Request(scope), body_too_large(limit))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _body_values(request: Request) -> Any:
    """The request body as decoded values, when it is JSON or a form; None otherwise. FastAPI
    has already parsed it for a route with a body parameter, so this reuses its result."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(_FORM_TYPES):
        form = await request.form()
        values: dict[str, list[str]] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):  # files are bytes the server judges itself
                values.setdefault(name, []).append(value)
        return {name: texts[0] if len(texts) == 1 else texts for name, texts in values.items()}
    if "json" in content_type:
        try:
            return await request.json()
        except ValueError:
            return None  # not JSON after all: the route, if it reads the body, says so
    return None


async def refuse_unstorable_input(request: Request) -> None:
    """422 when any path, query, JSON or form value holds a character PostgreSQL cannot store.
    An app-wide dependency rather than a type on each field, so every route is covered, also
    ones added later and ones that read their input by hand (Open311's form). Header values
    need no check: HTTP parsers refuse NUL there already."""
    found = [("path", path, character) for path, character in unstorable_fields(dict(request.path_params))]
    found += [
        ("query", path, character)
        for name, value in request.query_params.multi_items()
        for path, character in unstorable_fields({name: value})
    ]
    found += [("body", path, character) for path, character in unstorable_fields(await _body_values(request))]
    if not found:
        return
    errors = [
        {
            "field": ".".join(str(part) for part in path) or "(body)",
            "in": location,
            "message": Text(
                f"berisi karakter {code_point(character)} yang tidak dapat disimpan",
                f"contains the character {code_point(character)}, which cannot be stored",
            ),
            "code": "unstorable_character",
        }
        for location, path, character in found
    ]
    fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
    raise Problem(
        status=422,
        slug="validation-error",
        title=INVALID_INPUT_TITLE,
        detail=Text(
            "Hapus karakter NUL (U+0000) atau surrogate tanpa pasangan (U+D800–U+DFFF) dari: " + fields,
            "Remove the NUL character (U+0000) or unpaired surrogates (U+D800–U+DFFF) from: " + fields,
        ),
        errors=errors,
    )


UNSTORABLE_INPUT_REFUSED = Depends(refuse_unstorable_input)


async def _on_body_too_large(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, BodyTooLarge)
    return problem_response(request, exc.problem)


def install_http_limits(app: FastAPI, *, max_body_bytes: int, larger_bodies: Mapping[str, int] | None = None) -> None:
    """The body limit and its problem+json answer. (The text check is an app dependency,
    `UNSTORABLE_INPUT_REFUSED`, given when the app is built so every router inherits it.)"""
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, larger=larger_bodies)
    app.add_exception_handler(BodyTooLarge, _on_body_too_large)
