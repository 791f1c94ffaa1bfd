"""Notify's HTTP API in process against real PostgreSQL and a real SMTP server: templates
edited without a deploy, reporter subscriptions checked against intake, the dashboard's live
stream, and problem+json for bad input."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest

from sigap_notify.bootstrap import create_app
from sigap_shared.auth import StaffPrincipal, issue_access_token
from tests.integration.notify.conftest import (
    handle,
    live_stream,
    mail_and_intake,
    mail_server,
    notify_settings,
    random_department,
    routed,
    status_changed,
    tracking_code,
)
from tests.integration.notify.support import FakeIntake, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


def _auth(settings, role: str, department: str | None = None) -> dict[str, str]:
    token = issue_access_token(
        StaffPrincipal(username=f"{role}.test", role=role, department=department),
        secret=settings.jwt_secret.get_secret_value(),
    )
    return {"Authorization": f"Bearer {token}"}


def _is_problem(response: httpx.Response, status: int, slug: str) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["type"] == f"/problems/{slug}"
    )


async def test_templates_edited_through_the_api_are_used_for_the_next_message(infra, notify_pool, notify_database):
    department = random_department()
    async with mail_server(infra, notify_database) as (settings, smtp):
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            path = "/v1/templates/staff.new_in_queue/id"
            new = {
                "subject": "[$department] Aduan baru: ${tracking_code}",
                "body": "Segera tinjau ${tracking_code}. Biaya $$0.",
            }
            assert _is_problem(await client.put(path, json=new), 401, "unauthorized")
            assert _is_problem(
                await client.put(path, json=new, headers=_auth(settings, "dept_admin", department)), 403, "forbidden"
            )
            admin = _auth(settings, "city_admin")
            broken = await client.put(path, json={"subject": "Aduan $", "body": "x"}, headers=admin)
            assert _is_problem(broken, 422, "invalid-template")
            assert broken.json()["title"] == "Templat tidak valid"
            english = await client.put(
                path, json={"subject": "Aduan $", "body": "x"}, headers={**admin, "Accept-Language": "en"}
            )
            assert english.json()["title"] == "Invalid template"
            assert _is_problem(
                await client.put("/v1/templates/staff.new_in_queue/fr", json=new, headers=admin),
                422,
                "validation-error",
            )
            response = await client.put(path, json=new, headers=admin)
            assert response.status_code == 200, response.text
            assert response.json()["updated_by"] == "city_admin.test"
            listed = await client.get("/v1/templates", headers=_auth(settings, "dept_admin", department))
            assert any(t["key"] == "staff.new_in_queue" and t["subject"] == new["subject"] for t in listed.json())

            contacts = await client.put(
                f"/v1/departments/{department}/contacts",
                json={"emails": ["kepala@dinas.depok.go.id", "bukan-email"]},
                headers=admin,
            )
            assert _is_problem(contacts, 422, "validation-error")
            contacts = await client.put(
                f"/v1/departments/{department}/contacts", json={"emails": ["kepala@dinas.depok.go.id"]}, headers=admin
            )
            assert contacts.status_code == 200

            envelope = routed(department=department)
            await handle(notify_pool, envelope)
            await eventually(lambda: smtp.inbox.for_complaint(envelope.data.complaint_id), timeout_s=60)
    [mail] = smtp.inbox.for_complaint(envelope.data.complaint_id)
    assert mail["Subject"] == f"[{department}] Aduan baru: {envelope.data.tracking_code}"
    assert mail.get_content().strip() == f"Segera tinjau {envelope.data.tracking_code}. Biaya $0."


async def test_anonymous_reporter_subscribes_and_hears_back(infra, notify_pool, notify_database):
    intake = FakeIntake()
    department = random_department()
    complaint_id, code, follow_up = uuid.uuid4(), tracking_code(), "token-" + uuid.uuid4().hex
    intake.follow_ups[(code, follow_up)] = str(complaint_id)
    address = f"anonim.{uuid.uuid4().hex[:6]}@example.org"
    async with mail_and_intake(infra, notify_database, intake) as (settings, smtp, _):
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            body = {
                "tracking_code": code,
                "follow_up_token": "salah-" + follow_up,
                "channel": "email",
                "address": address,
            }
            wrong = await client.post("/v1/subscriptions", json=body)
            assert _is_problem(wrong, 403, "follow-up-token-mismatch")
            assert _is_problem(
                await client.post("/v1/subscriptions", json={**body, "address": "bukan"}), 422, "validation-error"
            )
            response = await client.post(
                "/v1/subscriptions", json={**body, "follow_up_token": follow_up, "language": "en"}
            )
            assert response.status_code == 201, response.text
            assert response.json()["address"] == "a***@e***.org"
            # Kept only sealed: reading the table directly gives no address away.
            stored = await notify_pool.fetchrow(
                "SELECT address_sealed, row_to_json(s)::text AS whole FROM reporter_subscriptions s"
                " WHERE tracking_code = $1",
                code,
            )
            assert address not in stored["whole"] and address.encode() not in stored["address_sealed"]

            change = status_changed(
                complaint_id=complaint_id,
                code=code,
                department=department,
                status="selesai",
                previous="dalam_proses",
                reporter=None,
                reason="Sudah diperbaiki",
            )
            await handle(notify_pool, change)
            await eventually(lambda: smtp.inbox.for_complaint(complaint_id), timeout_s=60)

            async def logged_sent():
                rows = (
                    await client.get(
                        f"/v1/complaints/{complaint_id}/notifications", headers=_auth(settings, "city_admin")
                    )
                ).json()["notifications"]
                return rows if rows and rows[0]["status"] != "sending" else None

            log = await eventually(logged_sent, timeout_s=60)
    [mail] = smtp.inbox.for_complaint(complaint_id)
    assert mail["To"] == address and mail["Subject"] == f"Report {code} resolved"
    assert [(n["recipient"], n["channel"], n["status"], n["address"]) for n in log] == [
        (f"reporter:anonim:{code}", "email", "sent", "a***@e***.org")
    ]
    assert address not in orjson.dumps(log).decode()


async def test_subscription_when_intake_is_unreachable_is_a_503_problem(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database, intake_internal_url="http://127.0.0.1:9")
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.post(
            "/v1/subscriptions",
            json={
                "tracking_code": "SGP-AAAA-BB",
                "follow_up_token": "x" * 20,
                "channel": "email",
                "address": "a@b.example",
            },
        )
    assert _is_problem(response, 503, "temporarily-unavailable")
    assert await notify_pool.fetchval("SELECT count(*) FROM reporter_subscriptions") == 0


async def test_dashboard_stream_pushes_its_department_only(infra, notify_pool, notify_database):
    department, other = random_department(), random_department()
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        forbidden = await client.get(
            "/v1/stream", params={"department": department}, headers=_auth(settings, "dept_admin", other)
        )
        assert _is_problem(forbidden, 403, "forbidden")
        assert _is_problem(await client.get("/v1/stream", params={"department": department}), 401, "unauthorized")
        mine, theirs = routed(department=department), routed(department=other)
        headers = _auth(settings, "dept_admin", department)
        async with live_stream(app, client, headers, department) as received:
            await handle(notify_pool, theirs)
            await handle(notify_pool, mine)
            await eventually(lambda: received, timeout_s=60)
    assert [(m["complaint_id"], m["template"]) for m in received] == [
        (str(mine.data.complaint_id), "staff.new_in_queue")
    ]
    assert received[0]["params"]["tracking_code"] == mine.data.tracking_code


async def test_the_city_wide_stream_hears_every_department(infra, notify_pool, notify_database):
    first, second = random_department(), random_department()
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        # Only city-wide roles may leave the department out.
        assert _is_problem(await client.get("/v1/stream", headers=_auth(settings, "dept_admin", first)), 403, "forbidden")
        complaints = [routed(department=first), routed(department=second)]
        async with live_stream(app, client, _auth(settings, "city_admin")) as received:
            for event in complaints:
                await handle(notify_pool, event)
            await eventually(lambda: len(received) >= 2, timeout_s=60)
    assert sorted(m["complaint_id"] for m in received) == sorted(str(e.data.complaint_id) for e in complaints)
