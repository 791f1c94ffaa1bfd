"""What every service's app refuses before a route runs: bodies over the size limit (413) and
text PostgreSQL cannot store (422), both as problem+json, through `create_service_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from sigap_shared.runtime import ServiceSpec, create_service_app
from sigap_shared.settings import ServiceSettings

LIMIT = 1000
JSON = {"content-type": "application/json"}


class NoteIn(BaseModel):
    body: str
    tags: list[str] = []


def _app() -> tuple[object, list[str]]:
    """A service app whose routes record that they ran."""
    ran: list[str] = []
    router = APIRouter()

    @router.post("/notes/{kind}")
    async def add_note(kind: str, note: NoteIn, q: str | None = None) -> dict:
        ran.append(note.body)
        return {"ok": True}

    @router.post("/upload")
    async def upload(request: Request) -> dict:
        ran.append(str(len(await request.body())))
        return {"ok": True}

    @router.post("/form")
    async def form(name: str = Form()) -> dict:
        ran.append(name)
        return {"ok": True}

    @router.post("/by-hand")
    async def by_hand(request: Request) -> dict:
        ran.append(str((await request.form()).get("name")))
        return {"ok": True}

    @router.post("/no-body")
    async def no_body() -> dict:
        ran.append("no-body")
        return {"ok": True}

    spec = ServiceSpec(
        package="sigap_shared",
        title="test",
        description="test",
        routers=[router],
        larger_bodies=lambda settings: {"/upload": 4 * LIMIT},
    )
    return create_service_app(ServiceSettings(http_max_body_bytes=LIMIT), spec), ran


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def _chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def test_a_declared_body_over_the_limit_is_refused_before_the_route_runs():
    app, ran = _app()
    async with _client(app) as client:
        response = await client.post("/no-body", content=b" " * (LIMIT + 1))
    body = _assert_problem(response, 413)
    assert body["type"] == "/problems/request-too-large" and body["max_bytes"] == LIMIT
    assert body["title"] == "Data yang dikirim terlalu besar"
    assert ran == []


async def test_a_chunked_body_is_counted_and_stopped_at_the_limit():
    app, ran = _app()
    async with _client(app) as client:
        response = await client.post("/notes/x", content=_chunks(LIMIT + 1), headers=JSON)
        english = await client.post("/upload", content=_chunks(5 * LIMIT), headers={"accept-language": "en"})
    _assert_problem(response, 413)
    assert _assert_problem(english, 413)["detail"] == "This address accepts at most 3.90625 KB per request."
    assert ran == []


async def test_a_path_allowed_more_takes_more_and_small_bodies_pass():
    app, ran = _app()
    async with _client(app) as client:
        larger = await client.post("/upload", content=b" " * (3 * LIMIT))
        chunked = await client.post("/upload", content=_chunks(3 * LIMIT))
        small = await client.post("/notes/x", json={"body": "lampu mati"})
    assert (larger.status_code, chunked.status_code, small.status_code) == (200, 200, 200)
    assert ran == [str(3 * LIMIT), str(3 * LIMIT), "lampu mati"]


@pytest.mark.parametrize(
    ("request_args", "field", "location"),
    [
        ({"url": "/notes/a%00b", "json": {"body": "ok"}}, "kind", "path"),
        ({"url": "/notes/x?q=a%00b", "json": {"body": "ok"}}, "q", "query"),
        ({"url": "/notes/x", "json": {"body": "lampu\x00mati"}}, "body", "body"),
        ({"url": "/notes/x", "json": {"body": "ok", "tags": ["a", "b\x00"]}}, "tags.1", "body"),
        (
            {"url": "/notes/x", "content": b'{"body": "lampu \\ud800 mati"}', "headers": JSON},
            "body",
            "body",
        ),
        ({"url": "/form", "data": {"name": "Siti\x00"}}, "name", "body"),
        ({"url": "/by-hand", "data": {"name": "Siti\x00"}}, "name", "body"),
    ],
)
async def test_unstorable_text_anywhere_is_refused_with_422_before_the_route_runs(request_args, field, location):
    app, ran = _app()
    async with _client(app) as client:
        response = await client.post(**request_args)
    body = _assert_problem(response, 422)
    assert body["errors"][0]["field"] == field and body["errors"][0]["in"] == location
    assert body["errors"][0]["code"] == "unstorable_character"
    assert "tidak dapat disimpan" in body["errors"][0]["message"]
    assert ran == []


async def test_clean_text_and_other_bodies_pass_the_text_check():
    app, ran = _app()
    async with _client(app) as client:
        note = await client.post("/notes/x?q=cari", json={"body": "Lampu PJU mati \u2014 Jl. Margonda 😀"})
        form = await client.post("/form", data={"name": "Siti"})
        raw = await client.post("/upload", content=b"\x00\x01 binary", headers={"content-type": "image/jpeg"})
    assert (note.status_code, form.status_code, raw.status_code) == (200, 200, 200)
    assert ran == ["Lampu PJU mati \u2014 Jl. Margonda 😀", "Siti", "9"]
