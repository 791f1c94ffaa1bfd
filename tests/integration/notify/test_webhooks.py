"""Department webhooks against a real HTTP receiver in the test process that verifies every
signature itself; registration, dead letters and replay through notify's real HTTP API."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_shared.events import ReporterRef
from tests.integration.notify.conftest import (
    handle,
    lifecycle,
    notify_settings,
    random_department,
    register_webhook,
    routed,
    staff_headers,
    tracking_code,
)
from tests.integration.notify.support import FakeDns, WebhookReceiver, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

SECRET = "rahasia-dinas-" + uuid.uuid4().hex


def _events_for(department: str) -> list:
    complaint_id = uuid.uuid4()
    code = tracking_code()
    reporter = ReporterRef(pseudonym="Pelapor-" + uuid.uuid4().hex[:6], channels=())
    return [routed(department=department, complaint_id=complaint_id, code=code, reporter=reporter)] + lifecycle(
        complaint_id=complaint_id, code=code, department=department, reporter=reporter
    )[:2]


async def _register(client: httpx.AsyncClient, settings, department: str, url: str) -> dict:
    return await register_webhook(client, settings, department, url, SECRET)


async def test_webhook_outage_then_recovery_delivers_each_event_exactly_once(infra, notify_pool, notify_database):
    receiver = WebhookReceiver(secret=SECRET)
    department, other_department = random_department(), random_department()
    settings = notify_settings(infra, notify_database, delivery_max_attempts=10_000)
    app = create_app(settings, consumers=False)
    async with serve_asgi(receiver.app()) as receiver_url, serve_asgi(app, lifespan="on") as notify_url:
        async with httpx.AsyncClient(base_url=notify_url, timeout=10) as client:
            webhook = await _register(client, settings, department, f"{receiver_url}/hook")
            assert webhook["secret"] == SECRET

            first = _events_for(department)
            for envelope in first + _events_for(other_department):
                await handle(notify_pool, envelope)
            await eventually(lambda: len(receiver.events) >= 3, timeout_s=60)

            receiver.failing = True
            second = _events_for(department)
            for envelope in second:
                await handle(notify_pool, envelope)
            await eventually(lambda: receiver.refused >= 6, timeout_s=60)

            # The webhook being down holds back nothing else: the dashboard delivery of the
            # same complaint went out.
            log_url = f"/v1/complaints/{second[0].data.complaint_id}/notifications"
            admin = staff_headers(settings, "dept_admin", department)

            async def dashboard_sent():
                log = (await client.get(log_url, headers=admin)).json()
                return [n for n in log["notifications"] if n["channel"] == "dashboard" and n["status"] == "sent"]

            await eventually(dashboard_sent, timeout_s=60)
            receiver.failing = False
            await eventually(lambda: len(receiver.events) >= 6, timeout_s=60)

            # A webhook batch is settled in the transaction that locked it, just after the
            # receiver answered: wait for the log to say so.
            async def webhooks_settled():
                log = (await client.get(log_url, headers=admin)).json()
                rows = [n for n in log["notifications"] if n["channel"] == "webhook"]
                return rows if rows and all(n["status"] == "sent" for n in rows) else None

            hook_rows = await eventually(webhooks_settled, timeout_s=60)
            assert hook_rows[0]["recipient"] == f"webhook:{webhook['id']}"
            assert hook_rows[0]["status"] == "sent" and hook_rows[0]["attempts"] >= 2
            assert hook_rows[0]["address"].startswith("http://127.0.0.1")

    expected_ids = {str(envelope.id) for envelope in first + second}
    assert [event["id"] for event in receiver.events if event["id"] in expected_ids] == [
        event["id"] for event in receiver.events
    ]
    assert sorted(event["id"] for event in receiver.events) == sorted(expected_ids)
    assert receiver.bad_signatures == 0
    for event in receiver.events:
        assert event["specversion"] == "1.0" and event["data"]["department"] == department
        assert event["data"]["reporter"] is None
        assert event["subject"] == event["data"]["complaint_id"]
    assert all(headers["idempotency-key"] == headers["sigap-event-id"] for headers in receiver.headers_seen)


async def test_last_retry_parks_in_dead_letters_and_replay_delivers_once(infra, notify_pool, notify_database):
    receiver = WebhookReceiver(secret=SECRET, failing=True)
    department = random_department()
    settings = notify_settings(infra, notify_database, delivery_max_attempts=2)
    app = create_app(settings, consumers=False)
    async with serve_asgi(receiver.app()) as receiver_url, serve_asgi(app, lifespan="on") as notify_url:
        async with httpx.AsyncClient(base_url=notify_url, timeout=10) as client:
            await _register(client, settings, department, f"{receiver_url}/hook")
            events = _events_for(department)
            for envelope in events:
                await handle(notify_pool, envelope)
            admin = staff_headers(settings, "dept_admin", department)

            async def parked():
                response = await client.get(
                    "/v1/webhooks/dead-letters", params={"department": department}, headers=admin
                )
                assert response.status_code == 200, response.text
                return response.json() if len(response.json()) == 3 else None

            dead_letters = await eventually(parked, timeout_s=60)
            assert {row["event_id"] for row in dead_letters} == {str(envelope.id) for envelope in events}
            assert all(row["attempts"] == 2 and "500" in row["last_error"] for row in dead_letters)
            assert receiver.events == [] and receiver.refused == 6

            # Another department's admin may not replay these.
            response = await client.post(
                "/v1/webhooks/dead-letters/replay",
                json={"department": department},
                headers=staff_headers(settings, "dept_admin", random_department()),
            )
            assert response.status_code == 403
            assert response.headers["content-type"].startswith("application/problem+json")

            receiver.failing = False
            response = await client.post(
                "/v1/webhooks/dead-letters/replay", json={"department": department}, headers=admin
            )
            assert response.status_code == 200, response.text
            assert len(response.json()["replayed"]) == 3
            await eventually(lambda: len(receiver.events) >= 3, timeout_s=60)
            # Replaying again finds nothing left to replay.
            again = await client.post(
                "/v1/webhooks/dead-letters/replay", json={"department": department}, headers=admin
            )
            assert again.json()["replayed"] == []
            remaining = await client.get("/v1/webhooks/dead-letters", params={"department": department}, headers=admin)
            assert remaining.json() == []
    assert sorted(event["id"] for event in receiver.events) == sorted(str(envelope.id) for envelope in events)


async def test_bad_webhook_registrations_are_problems(infra, notify_pool, notify_database):
    department = random_department()
    settings = notify_settings(infra, notify_database, webhook_allow_http=False)
    dns = FakeDns({"dinas.example": ["93.184.216.34"], "x.example": ["93.184.216.34"]})  # never connected to
    app = create_app(settings, consumers=False, dns=dns)
    async with (
        serve_asgi(app, lifespan="on") as notify_url,
        httpx.AsyncClient(base_url=notify_url, timeout=10) as client,
    ):
        url = f"/v1/departments/{department}/webhooks"
        admin = staff_headers(settings, "dept_admin", department)
        cases = [
            ({"url": "http://dinas.example/hook"}, admin, 422, "invalid-webhook-url"),
            ({"url": "https://dinas.example/hook", "secret": "pendek"}, admin, 422, "validation-error"),
            ({"url": "https://dinas.example/hook", "extra": 1}, admin, 422, "validation-error"),
            ({"url": "https://dinas.example/hook"}, {}, 401, "unauthorized"),
            ({"url": "https://dinas.example/hook"}, staff_headers(settings, "dept_admin", "LAIN"), 403, "forbidden"),
            ({"url": "https://dinas.example/hook"}, staff_headers(settings, "field_officer", department), 403, "forbidden"),
        ]
        for body, headers, status, slug in cases:
            response = await client.post(url, json=body, headers=headers)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"] == f"/problems/{slug}"
        bad_department = await client.post(
            "/v1/departments/dinas kecil/webhooks", json={"url": "https://x.example"}, headers=admin
        )
        assert bad_department.status_code == 422
        ok = await client.post(url, json={"url": "https://dinas.example/hook"}, headers=admin)
        assert ok.status_code == 201 and len(ok.json()["secret"]) >= 32
        listed = await client.get(url, headers=admin)
        assert [row["id"] for row in listed.json()] == [ok.json()["id"]] and listed.json()[0]["secret"] is None
        gone = await client.delete(f"{url}/{uuid.uuid4()}", headers=admin)
        assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
        assert (await client.delete(f"{url}/{ok.json()['id']}", headers=admin)).status_code == 204
