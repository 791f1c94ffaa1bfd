"""The delivery engine's cheaper paths against the real PostgreSQL: dashboard deliveries settled
by their claim (never pushed twice, whatever is redelivered, restarted or raced), webhook
batches locked, sent and settled in one transaction (a crash resends with the same idempotency
key, replicas never send one twice), a batch's outcomes recorded together, staff mail without
an address recorded undeliverable at once, lookups shared within a batch but not across
batches, and the digest count that stops at what the decision needs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sigap_notify.bootstrap import open_egress
from sigap_notify.channels.base import Delivery, UnconfiguredChannel, load_template
from sigap_notify.channels.webhook import WebhookChannel
from sigap_notify.dashboard.hub import DashboardChannel, DashboardHub
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.deliveries.repository import recent_emails, recover_interrupted
from sigap_notify.events.repository import NO_STAFF_ADDRESS
from sigap_notify.sealing import SecretBox
from sigap_notify.subscriptions.repository import set_department_emails, set_officer_emails
from sigap_notify.templates.repository import upsert_template
from sigap_shared.events import ComplaintAssigned, Envelope
from tests.integration.notify.conftest import (
    add_webhook,
    handle,
    mail_server,
    notify_settings,
    random_department,
    routed,
    running_dispatchers,
)
from tests.integration.notify.support import serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


def assignment(*, department: str, officer: str) -> Envelope:
    return Envelope(
        source="sigap/status",
        data=ComplaintAssigned(
            complaint_id=uuid.uuid4(),
            tracking_code="SGP-" + uuid.uuid4().hex[:4].upper() + "-" + uuid.uuid4().hex[:2].upper(),
            department=department,
            officer=officer,
            previous_officer=None,
            actor="admin.test",
            actor_role="dept_admin",
            assigned_at=datetime.now(UTC),
        ),
    )


def _dispatcher(pool, settings, channels) -> Dispatcher:
    return Dispatcher(pool=pool, connect_kwargs=settings.pg_connect_kwargs(), channels=channels, batch_size=100)


def _drain(queue: asyncio.Queue) -> list[dict]:
    messages = []
    while not queue.empty():
        messages.append(queue.get_nowait())
    return messages


class CrashingDashboard(DashboardChannel):
    """The process dies after claiming a batch and before the claim's transaction commits."""

    async def send_claimed(self, deliveries: list[Delivery], *, conn) -> None:
        raise RuntimeError("process died before the claim committed")


async def _dashboard_rows(pool, complaint_ids) -> list:
    return await pool.fetch(
        "SELECT id, status, attempts, sent_at FROM notifications WHERE complaint_id = ANY($1::uuid[])"
        " AND channel = 'dashboard' ORDER BY id",
        list(complaint_ids),
    )


async def test_dashboard_delivery_is_settled_by_its_claim_and_never_pushed_again(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    department = random_department()
    event = routed(department=department)
    await handle(notify_pool, event)

    hub = DashboardHub()
    stream = hub.subscribe(department)
    dispatcher = _dispatcher(notify_pool, settings, {"dashboard": DashboardChannel(hub)})
    assert await dispatcher.dispatch_once("dashboard") == 1
    pushed = _drain(stream)
    assert [m["event_id"] for m in pushed] == [str(event.id)]
    rows = await _dashboard_rows(notify_pool, [event.data.complaint_id])
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]
    assert rows[0]["sent_at"] is not None

    # Kafka redelivers the event and the process restarts (a new hub, a new dispatcher).
    await handle(notify_pool, event)
    restarted_hub = DashboardHub()
    restarted_stream = restarted_hub.subscribe(department)
    restarted = _dispatcher(notify_pool, settings, {"dashboard": DashboardChannel(restarted_hub)})
    assert await restarted.dispatch_once("dashboard") == 0
    async with notify_pool.acquire() as conn:
        assert await recover_interrupted(
            conn=conn, stale_after_s=0, resendable_channels=["dashboard"]
        ) == (0, 0)
    assert await restarted.dispatch_once("dashboard") == 0
    assert _drain(restarted_stream) == []
    assert _drain(stream) == []
    assert len(await _dashboard_rows(notify_pool, [event.data.complaint_id])) == 1


async def test_a_crash_before_the_claim_commits_pushes_nothing_and_the_next_claim_pushes_once(
    infra, notify_pool, notify_database
):
    settings = notify_settings(infra, notify_database)
    department = random_department()
    event = routed(department=department)
    await handle(notify_pool, event)

    crashed = _dispatcher(notify_pool, settings, {"dashboard": CrashingDashboard(DashboardHub())})
    with pytest.raises(RuntimeError):
        await crashed.dispatch_once("dashboard")
    rows = await _dashboard_rows(notify_pool, [event.data.complaint_id])
    assert [(r["status"], r["attempts"], r["sent_at"]) for r in rows] == [("pending", 0, None)]

    hub = DashboardHub()
    stream = hub.subscribe(department)
    restarted = _dispatcher(notify_pool, settings, {"dashboard": DashboardChannel(hub)})
    assert await restarted.dispatch_once("dashboard") == 1
    assert await restarted.dispatch_once("dashboard") == 0
    assert [m["event_id"] for m in _drain(stream)] == [str(event.id)]
    rows = await _dashboard_rows(notify_pool, [event.data.complaint_id])
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]


async def test_racing_dispatchers_push_each_dashboard_delivery_once(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    department = random_department()
    events = [routed(department=department) for _ in range(60)]
    for event in events:
        await handle(notify_pool, event)
    hubs = [DashboardHub() for _ in range(3)]
    streams = [hub.subscribe(department) for hub in hubs]
    replicas = [
        Dispatcher(
            pool=notify_pool,
            connect_kwargs=settings.pg_connect_kwargs(),
            channels={"dashboard": DashboardChannel(hub)},
            batch_size=7,
        )
        for hub in hubs
    ]
    while sum(await asyncio.gather(*(replica.dispatch_once("dashboard") for replica in replicas))):
        pass
    pushed = [message["event_id"] for stream in streams for message in _drain(stream)]
    assert sorted(pushed) == sorted(str(event.id) for event in events)
    rows = await _dashboard_rows(notify_pool, [event.data.complaint_id for event in events])
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}
    assert len(rows) == len(events)


async def test_a_batch_records_every_outcome_with_its_reason(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    events = [routed(department=random_department()) for _ in range(5)]
    for event in events:
        async with notify_pool.acquire() as conn:
            await set_department_emails(
                conn=conn, department=event.data.department, emails=["admin@depok.go.id"]
            )
        await handle(notify_pool, event)
    dispatcher = _dispatcher(notify_pool, settings, {"email": UnconfiguredChannel("email")})
    assert await dispatcher.dispatch_once("email") == 5
    rows = await notify_pool.fetch(
        "SELECT status, attempts, last_error, sent_at FROM notifications"
        " WHERE complaint_id = ANY($1::uuid[]) AND channel = 'email'",
        [event.data.complaint_id for event in events],
    )
    assert len(rows) == 5
    assert {(r["status"], r["attempts"], r["last_error"], r["sent_at"]) for r in rows} == {
        ("undeliverable", 1, "no provider configured for channel email", None)
    }
    assert dispatcher.sent == 0


async def test_a_template_edited_between_batches_is_used_by_the_next_batch(notify_pool):
    key = "staff.new_in_queue"
    async with notify_pool.acquire() as conn:
        await upsert_template(
            conn=conn, key=key, language="id", subject="Lama", body="lama", updated_by="test"
        )
    batch = BatchReads()
    assert (await load_template(notify_pool, batch=batch, key=key, language="id"))["subject"] == "Lama"
    async with notify_pool.acquire() as conn:
        await upsert_template(conn=conn, key=key, language="id", subject="Baru", body="baru", updated_by="test")
    assert (await load_template(notify_pool, batch=batch, key=key, language="id"))["subject"] == "Lama"
    next_batch = BatchReads()
    assert (await load_template(notify_pool, batch=next_batch, key=key, language="id"))["subject"] == "Baru"


async def test_recent_emails_counts_only_as_far_as_the_digest_decision_needs(notify_pool):
    busy, quiet, silent = (f"department:{random_department()}:admins" for _ in range(3))
    template = "staff.new_in_queue"
    async with notify_pool.acquire() as conn:
        for recipient, count in ((busy, 12), (quiet, 2)):
            await conn.execute(
                "INSERT INTO notifications (event_id, complaint_id, event_type, recipient, channel, template,"
                " status, sent_at) SELECT gen_random_uuid(), gen_random_uuid(), 'x', $1, 'email', $2, 'sent', now()"
                " FROM generate_series(1, $3)",
                recipient,
                template,
                count,
            )
        # Older than the window, or another template: not counted.
        await conn.execute(
            "INSERT INTO notifications (event_id, complaint_id, event_type, recipient, channel, template,"
            " status, sent_at) VALUES ($1, $2, 'x', $3, 'email', $4, 'sent', now() - interval '1 hour'),"
            " ($5, $2, 'x', $3, 'email', 'staff.sla_breached', 'sent', now())",
            uuid.uuid4(),
            uuid.uuid4(),
            quiet,
            template,
            uuid.uuid4(),
        )
        recent = await recent_emails(
            conn=conn, recipients=[busy, quiet, silent], template=template, window_s=300, at_most=4
        )
    assert recent == {busy: 4, quiet: 2}


async def test_staff_mail_without_any_address_on_file_is_recorded_undeliverable_at_once(
    infra, notify_pool, notify_database
):
    settings = notify_settings(infra, notify_database)
    known, unknown, emptied = (random_department() for _ in range(3))
    async with notify_pool.acquire() as conn:
        await set_department_emails(conn=conn, department=known, emails=["admin@depok.go.id"])
        await set_department_emails(conn=conn, department=emptied, emails=[])
        await set_officer_emails(
            conn=conn, department=known, username="budi.s", emails=["budi@depok.go.id"], updated_by="test"
        )
    events = {code: routed(department=code) for code in (known, unknown, emptied)}
    for event in events.values():
        await handle(notify_pool, event)
    assigned = [
        assignment(department=known, officer="budi.s"),  # has an address
        assignment(department=known, officer="sari.w"),  # has none
    ]
    for event in assigned:
        await handle(notify_pool, event)

    async def email_of(complaint_id, recipient):
        return await notify_pool.fetchrow(
            "SELECT status, attempts, last_error FROM notifications"
            " WHERE complaint_id = $1 AND channel = 'email' AND recipient = $2",
            complaint_id,
            recipient,
        )

    for code, expected in ((known, "pending"), (unknown, "undeliverable"), (emptied, "undeliverable")):
        row = await email_of(events[code].data.complaint_id, f"department:{code}:admins")
        assert row["status"] == expected
        assert row["last_error"] == (None if expected == "pending" else NO_STAFF_ADDRESS)
    assert (await email_of(assigned[0].data.complaint_id, f"officer:{known}:budi.s"))["status"] == "pending"
    silent = await email_of(assigned[1].data.complaint_id, f"officer:{known}:sari.w")
    assert (silent["status"], silent["attempts"]) == ("undeliverable", 0)
    # The dashboard deliveries of the same events are untouched; a redelivered event adds nothing.
    await handle(notify_pool, events[unknown])
    rows = await notify_pool.fetch(
        "SELECT channel, status FROM notifications WHERE complaint_id = $1 ORDER BY channel",
        events[unknown].data.complaint_id,
    )
    assert [(r["channel"], r["status"]) for r in rows] == [("dashboard", "pending"), ("email", "undeliverable")]
    # Nothing of it is left for the email dispatcher but the deliveries that have an address.
    claimed = _dispatcher(notify_pool, settings, {"email": UnconfiguredChannel("email")})
    assert await claimed.dispatch_once("email") == 2


class GatedReceiver:
    """A webhook receiver that records each request's idempotency key and, while `gate` is
    closed, holds requests (the send is in flight)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.arrived = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def endpoint(self, request: Request) -> Response:
        await request.body()
        self.keys.append(request.headers["idempotency-key"])
        self.arrived.set()
        await self.gate.wait()
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])


async def _webhook_rows(pool, complaint_ids) -> list:
    return await pool.fetch(
        "SELECT status, attempts, address_masked FROM notifications"
        " WHERE complaint_id = ANY($1::uuid[]) AND channel = 'webhook' ORDER BY id",
        list(complaint_ids),
    )


async def _register_webhook(pool, settings, department: str, url: str) -> None:
    async with pool.acquire() as conn:
        await add_webhook(conn, settings, department=department, url=url, secret="rahasia-" + uuid.uuid4().hex)


@contextlib.asynccontextmanager
async def _egress(settings):
    egress = open_egress(settings)
    try:
        yield egress
    finally:
        await egress.close()


def _webhook_dispatcher(pool, settings, egress, *, batch_size: int = 100) -> Dispatcher:
    channel = WebhookChannel(pool=pool, egress=egress, box=SecretBox(settings.webhook_key()), allow_http=True)
    return Dispatcher(
        pool=pool, connect_kwargs=settings.pg_connect_kwargs(), channels={"webhook": channel}, batch_size=batch_size
    )


async def test_a_webhook_batch_cut_short_by_a_crash_is_resent_with_the_same_idempotency_key(
    infra, notify_pool, notify_database
):
    settings = notify_settings(infra, notify_database)
    department = random_department()
    receiver = GatedReceiver()
    async with serve_asgi(receiver.app()) as url, _egress(settings) as egress:
        await _register_webhook(notify_pool, settings, department, f"{url}/hook")
        event = routed(department=department)
        await handle(notify_pool, event)

        receiver.gate.clear()
        crashing = asyncio.create_task(_webhook_dispatcher(notify_pool, settings, egress).dispatch_once("webhook"))
        await asyncio.wait_for(receiver.arrived.wait(), 30)
        crashing.cancel()  # the process dies while the request is in flight
        with pytest.raises(asyncio.CancelledError):
            await crashing
        rows = await _webhook_rows(notify_pool, [event.data.complaint_id])
        assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)]

        receiver.gate.set()
        restarted = _webhook_dispatcher(notify_pool, settings, egress)
        assert await restarted.dispatch_once("webhook") == 1
        assert await restarted.dispatch_once("webhook") == 0
    assert receiver.keys == [str(event.id), str(event.id)]
    rows = await _webhook_rows(notify_pool, [event.data.complaint_id])
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]
    assert rows[0]["address_masked"].startswith("http://127.0.0.1")


async def test_racing_dispatchers_send_each_webhook_delivery_once(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    department = random_department()
    receiver = GatedReceiver()
    async with serve_asgi(receiver.app()) as url, _egress(settings) as egress:
        await _register_webhook(notify_pool, settings, department, f"{url}/hook")
        events = [routed(department=department) for _ in range(30)]
        for event in events:
            await handle(notify_pool, event)
        replicas = [_webhook_dispatcher(notify_pool, settings, egress, batch_size=4) for _ in range(3)]
        while sum(await asyncio.gather(*(replica.dispatch_once("webhook") for replica in replicas))):
            pass
    assert sorted(receiver.keys) == sorted(str(event.id) for event in events)
    rows = await _webhook_rows(notify_pool, [event.data.complaint_id for event in events])
    assert len(rows) == len(events)
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}


async def test_mail_the_direct_writer_leaves_alone_goes_out_through_the_email_package(
    infra, notify_pool, notify_database
):
    department = random_department()
    async with notify_pool.acquire() as conn:
        await set_department_emails(conn=conn, department=department, emails=["admin@depok.go.id"])
    event = routed(department=department)
    sender = "Sigap Kota Dépok <no-reply@sigap.depok.go.id>"
    async with mail_server(infra, notify_database, smtp_from=sender) as (settings, smtp):
        async with running_dispatchers(settings, notify_pool):
            await handle(notify_pool, event)

            async def delivered():
                return smtp.inbox.for_complaint(event.data.complaint_id) or None

            mails = await eventually(delivered, timeout_s=60)
    assert len(mails) == 1
    assert mails[0]["From"] == "Sigap Kota Dépok <no-reply@sigap.depok.go.id>"
    assert mails[0]["To"] == "admin@depok.go.id"
    assert mails[0]["Subject"] == f"Laporan baru {event.data.tracking_code} di antrean {department}"
    assert mails[0]["Content-Language"] == "id"
