"""The dashboard's stream relay without the other services (notify played by an in-process
transport): it forwards notify's messages without their event names, with the staff member's
own token and department, passes a refusal on as problem+json, and ends quietly when notify
goes away mid-stream (the browser reconnects)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx

from sigap_web.bootstrap import create_app
from sigap_web.clients import Upstreams
from sigap_web.session import SESSION_COOKIE, StaffSession
from sigap_web.settings import WebSettings

ORIGIN = "https://sigap.test"
MESSAGE = b'id: 7\nevent: staff.new_in_queue\ndata: {"complaint_id": "c-1", "template": "staff.new_in_queue"}\n\n'


class NotifyThatLeaves(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b": connected\n\n"
        yield MESSAGE
        raise httpx.ReadError("notify restarted")


def _notify(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("department") not in (None, "DISHUB"):
            return httpx.Response(
                403,
                headers={"content-type": "application/problem+json"},
                json={"type": "/problems/forbidden", "title": "Akses ditolak", "status": 403},
            )
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=NotifyThatLeaves())

    return httpx.MockTransport(handle)


async def _client(seen: list[httpx.Request], *, role: str, department: str | None) -> httpx.AsyncClient:
    settings = WebSettings()
    app = create_app(settings, upstreams=Upstreams.from_settings(settings, transport=_notify(seen)))
    session = StaffSession(
        sid="sid-1",
        username="admin.test",
        role=role,
        department=department,
        access_token="access-token-1",
        access_expires_at=time.time() + 600,
        refresh_token="refresh-1",
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN)
    client.cookies.set(SESSION_COOKIE, app.state.web.sealer.seal(session), domain="sigap.test")
    return client


async def test_the_relay_forwards_messages_and_ends_quietly_when_notify_leaves():
    seen: list[httpx.Request] = []
    async with await _client(seen, role="dept_admin", department="DISHUB") as client:
        response = await client.get("/api/dasbor/stream")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert 'data: {"complaint_id": "c-1"' in response.text and "event:" not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert seen[0].headers["authorization"] == "Bearer access-token-1"
    assert seen[0].url.params["department"] == "DISHUB"  # a department admin hears their own


async def test_a_refusal_is_passed_on_and_the_city_admin_asks_for_every_department():
    seen: list[httpx.Request] = []
    async with await _client(seen, role="dept_admin", department="DISHUB") as client:
        refused = await client.get("/api/dasbor/stream", params={"department": "DPUPR"})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        bad = await client.get("/api/dasbor/stream", params={"department": "DPUPR&x=1"})
        assert bad.status_code == 422
    async with await _client(seen, role="city_admin", department=None) as client:
        assert (await client.get("/api/dasbor/stream")).status_code == 200
    assert "department" not in seen[-1].url.params
