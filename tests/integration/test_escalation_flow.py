"""Escalation from the SLA sweep to the contact's mailbox, on real PostgreSQL, Kafka and SMTP:
status's sweep climbs a breached complaint's ladder, its outbox relay publishes each step on
the SLA topic, notify's consumer turns each into mail to the contacts the city admin named over
notify's HTTP API, and each contact is mailed once per step: however often and however many
sweeps run, and when notify reads the topic again from the start."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_notify.events.handlers import on_complaint_event
from sigap_shared.consumer import DeadLetterPublisher
from sigap_shared.events import (
    TOPIC_COMPLAINT_SLA,
    ComplaintEscalated,
    ComplaintSlaBreached,
)
from sigap_shared.outbox import OutboxRelay
from sigap_status.escalation.rules import EscalationPolicy
from sigap_status.escalation.sweep import Escalation, sweep_escalations
from sigap_status.sla import sweep
from sigap_status.sla.rules import WorkingCalendar
from tests.integration.notify.conftest import (  # noqa: F401 (fixtures)
    events_consumer,
    notify_database,
    notify_pool,
    notify_settings,
    running_dispatchers,
    staff_headers,
)
from tests.integration.notify.support import notify_knows, serve_asgi, smtp_server
from tests.integration.status.conftest import status_api  # noqa: F401 (fixture)
from tests.support.kafka import eventually
from tests.support.tasks import running

pytestmark = pytest.mark.integration

ESCALATION = Escalation(policy=EscalationPolicy(), calendar=WorkingCalendar())


async def _sweep(api, *, now: datetime, sweeps: int = 3) -> None:
    """`sweeps` sweeps side by side, as replicas run them, each until nothing is due."""

    async def one() -> None:
        async with api.pool.acquire() as conn:
            await sweep.sweep_sla_breaches(conn=conn, now=now)
            while await sweep_escalations(conn=conn, escalation=ESCALATION, now=now) > 0:
                pass

    await asyncio.gather(*(one() for _ in range(sweeps)))


async def test_each_step_mails_its_contacts_once(status_api, infra, notify_pool, notify_database):  # noqa: F811
    api = status_api
    department = "EF" + uuid.uuid4().hex[:6].upper()
    head, city = f"kepala@{department.lower()}.depok.go.id", "sekda@depok.go.id"
    complaint_id = await api.seed_complaint(department=department)
    marker_id = await api.seed_complaint(department=department)
    codes = {
        row["id"]: row["tracking_code"]
        for row in await api.pool.fetch(
            "SELECT id, tracking_code FROM complaints WHERE id = ANY($1::uuid[])", [complaint_id, marker_id]
        )
    }
    for known in (complaint_id, marker_id):
        await notify_knows(notify_pool, known, codes[known])
    prefix = f"test{uuid.uuid4().hex[:8]}."  # a fresh SLA topic: only this test's events
    relay = OutboxRelay(
        connect_kwargs=infra.pg_kwargs(api.settings.pg_database),
        bootstrap=infra.kafka_bootstrap,
        client_id=f"test-status-relay-{uuid.uuid4().hex[:6]}",
        poll_interval_s=0.2,
        topic_prefix=prefix,
    )
    handlers = {
        ComplaintSlaBreached.event_type: on_complaint_event,
        ComplaintEscalated.event_type: on_complaint_event,
    }
    dead_letters = DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test-notify", topic_prefix=prefix)

    def consumer():
        return events_consumer(
            infra, notify_pool, source_topic=prefix + TOPIC_COMPLAINT_SLA, handlers=handlers, dead_letters=dead_letters
        )

    def mails_to(address: str, complaint: uuid.UUID) -> list:
        return [m for m in smtp.inbox.for_complaint(complaint) if m["To"] == address]

    async with smtp_server() as smtp:
        settings = notify_settings(infra, notify_database, smtp_host="127.0.0.1", smtp_port=smtp.port)
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            admin = staff_headers(settings, "city_admin")
            # The city admin names the head of department, and the regional secretary's
            # office for every department's `city` step.
            for path, address in ((f"{department}/head_of_department", head), ("*/city", city)):
                saved = await client.put(f"/v1/escalation-contacts/{path}", json={"emails": [address]}, headers=admin)
                assert saved.status_code == 200, saved.text

            async with running_dispatchers(settings, notify_pool), running(relay.run(), consumer().run()):
                now = datetime.now(UTC)
                await api.pool.execute(
                    "UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", complaint_id
                )
                await _sweep(api, now=now)
                await _sweep(api, now=now + timedelta(minutes=1))
                await eventually(lambda: mails_to(head, complaint_id), timeout_s=60)
                await _sweep(api, now=now + timedelta(days=12))  # three working days later, at most
                await _sweep(api, now=now + timedelta(days=12, minutes=1))
                await eventually(lambda: mails_to(city, complaint_id), timeout_s=60)

            # Notify reads the whole topic again (a redelivery): its inbox knows every event.
            async with running_dispatchers(settings, notify_pool), running(relay.run(), consumer().run()):
                # The marker: a later breach's escalation, mailed after everything before it.
                await api.pool.execute(
                    "UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", marker_id
                )
                await _sweep(api, now=datetime.now(UTC))
                await eventually(lambda: mails_to(head, marker_id), timeout_s=60)

            log = (
                await client.get(f"/v1/complaints/{complaint_id}/notifications", headers=admin)
            ).json()["notifications"]

    [head_mail] = mails_to(head, complaint_id)
    [city_mail] = mails_to(city, complaint_id)
    code = codes[complaint_id]
    assert head_mail["Subject"] == f"Eskalasi: laporan {code} di {department} terlambat"
    assert "kontak eskalasi tingkat 1 (head_of_department)" in head_mail.get_content()
    assert "kontak eskalasi tingkat 2 (city)" in city_mail.get_content()
    escalation_mail = sorted(
        entry["recipient"] for entry in log if entry["template"] == "staff.escalated" and entry["channel"] == "email"
    )
    assert escalation_mail == [f"escalation:{department}:city", f"escalation:{department}:head_of_department"]


async def test_escalation_contacts_are_kept_by_the_city_admin(infra, notify_pool, notify_database):  # noqa: F811
    settings = notify_settings(infra, notify_database)
    department = "EF" + uuid.uuid4().hex[:6].upper()
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        admin = staff_headers(settings, "city_admin")
        path = f"/v1/escalation-contacts/{department}/head_of_department"
        body = {"emails": ["kepala@dinas.depok.go.id", "kepala@dinas.depok.go.id", "wakil@dinas.depok.go.id"]}
        assert (await client.put(path, json=body)).status_code == 401
        for role, dept in (("dept_admin", department), ("field_officer", department), ("auditor", None)):
            refused = await client.put(path, json=body, headers=staff_headers(settings, role, dept))
            assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden"
        for bad_path, bad_body in (
            (path, {"emails": ["bukan-email"]}),
            (path, {"emails": []}),
            (f"/v1/escalation-contacts/{department}/Kepala Dinas", body),
            (f"/v1/escalation-contacts/dinas/head_of_department", body),
        ):
            invalid = await client.put(bad_path, json=bad_body, headers=admin)
            assert invalid.status_code == 422, (bad_path, invalid.text)
            assert invalid.headers["content-type"].startswith("application/problem+json")
        saved = await client.put(path, json=body, headers=admin)
        assert saved.status_code == 200, saved.text
        assert saved.json()["emails"] == ["kepala@dinas.depok.go.id", "wakil@dinas.depok.go.id"]
        assert saved.json()["recipient"] == f"escalation:{department}:head_of_department"
        city = await client.put("/v1/escalation-contacts/*/city", json={"emails": ["sekda@depok.go.id"]}, headers=admin)
        assert city.status_code == 200, city.text

        listed = await client.get("/v1/escalation-contacts", headers=staff_headers(settings, "auditor"))
        assert listed.status_code == 200
        mine = [(row["department"], row["step"]) for row in listed.json() if row["department"] in (department, "*")]
        assert (department, "head_of_department") in mine and ("*", "city") in mine
        assert (await client.get("/v1/escalation-contacts", headers=staff_headers(settings, "dept_admin", department))).status_code == 403

        assert (await client.delete(path, headers=admin)).status_code == 204
        gone = await client.delete(path, headers=admin)
        assert gone.status_code == 404 and gone.json()["type"] == "/problems/escalation-contacts-not-found"
        assert gone.json()["title"] == "Kontak eskalasi tidak ditemukan"
