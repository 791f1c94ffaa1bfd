"""Fixtures of notify's integration tests: a fresh notify database on the real PostgreSQL,
events with fresh ids, and the delivery engine wired to real servers in the test process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from sigap_notify.bootstrap import build_channels, build_dispatcher, build_resolver, new_http_session, open_egress
from sigap_notify.dashboard.hub import DashboardHub
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_notify.reporter.repository import upsert_subscription
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_notify.subscriptions.repository import create_webhook
from sigap_shared.auth import StaffPrincipal, issue_access_token
from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_shared.outbox import OutboxRelay
from sigap_shared.events import Envelope, ReporterRef
from tests.support import events
from tests.support.events import tracking_code
from tests.integration.notify.support import FakeIntake, SmtpServer, serve_asgi, smtp_server
from tests.support.kafka import eventually


@pytest.fixture
async def notify_database(databases) -> str:
    return await databases.create("sigap_test_notify")


@pytest.fixture
async def notify_pool(infra, notify_database) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(**infra.pg_kwargs(notify_database), min_size=1, max_size=8)
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
    yield pool
    await pool.close()


@contextlib.asynccontextmanager
async def mail_and_intake(
    infra, database: str, intake: FakeIntake | None = None, **overrides
) -> AsyncIterator[tuple[NotifySettings, SmtpServer, FakeIntake]]:
    """A real SMTP server and a fake intake (contacts, follow-up tokens) in this process, and
    notify's settings pointing at both."""
    intake = intake or FakeIntake()
    async with smtp_server() as smtp, serve_asgi(intake.app()) as intake_url:
        intake_at = {"intake_internal_url": intake_url, "internal_token": intake.token}
        settings = mail_settings(infra, database, smtp, **intake_at, **overrides)
        yield settings, smtp, intake


@contextlib.asynccontextmanager
async def mail_server(infra, database: str, **overrides) -> AsyncIterator[tuple[NotifySettings, SmtpServer]]:
    """A real SMTP server in this process, and notify's settings sending mail to it."""
    async with smtp_server() as smtp:
        yield mail_settings(infra, database, smtp, **overrides), smtp


def mail_settings(infra, database: str, smtp: SmtpServer, **overrides) -> NotifySettings:
    return notify_settings(infra, database, smtp_host="127.0.0.1", smtp_port=smtp.port, **overrides)


def notify_settings(infra, database: str, **overrides) -> NotifySettings:
    values = {
        "environment": "test",
        "kafka_bootstrap": infra.kafka_bootstrap,
        "pg_host": infra.pg_host,
        "pg_port": infra.pg_port,
        "pg_user": infra.pg_user,
        "pg_password": infra.pg_password,
        "pg_database": database,
        "delivery_backoff_base_s": 0.05,
        "delivery_backoff_max_s": 0.3,
        "dispatcher_poll_interval_s": 0.2,
        "webhook_allow_http": True,
        # The webhook receivers and push services of these tests listen on 127.0.0.1, which
        # notify refuses unless an operator allows it.
        "webhook_allowed_networks": ["127.0.0.0/8"],
        "webhook_timeout_s": 5.0,
    }
    values.update(overrides)
    return NotifySettings(**values)


@contextlib.asynccontextmanager
async def running_dispatchers(
    settings: NotifySettings, pool: asyncpg.Pool, *, count: int = 1
) -> AsyncIterator[list[Dispatcher]]:
    """`count` dispatchers on the same database, as separate replicas would be."""
    http = new_http_session(settings)
    egress = open_egress(settings)
    hub = DashboardHub()
    resolver = build_resolver(settings, pool, http)
    dispatchers = [
        build_dispatcher(
            settings,
            pool,
            build_channels(settings, pool=pool, hub=hub, http=http, resolver=resolver, egress=egress),
        )
        for _ in range(count)
    ]
    tasks = [asyncio.create_task(dispatcher.run()) for dispatcher in dispatchers]
    try:
        yield dispatchers
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for dispatcher in dispatchers:
            await dispatcher.close()
        await http.close()
        await egress.close()


def events_consumer(
    infra, pool: asyncpg.Pool, *, source_topic: str, handlers: dict, dead_letters: DeadLetterPublisher
) -> EventConsumer:
    """Notify's consumer (`notify.test`, a fresh group) reading the events a test produced."""
    return EventConsumer(
        name="notify.test",
        topics=[source_topic],
        handlers=handlers,
        pool=pool,
        bootstrap=infra.kafka_bootstrap,
        group_id=f"test-notify-{uuid.uuid4().hex}",
        dead_letters=dead_letters,
    )


def department_relay(infra, settings: NotifySettings) -> OutboxRelay:
    """Notify's outbox relay, publishing the department copies under the settings' topic prefix."""
    return OutboxRelay(
        connect_kwargs=settings.pg_connect_kwargs(),
        bootstrap=infra.kafka_bootstrap,
        client_id="test-notify-relay",
        poll_interval_s=0.2,
        topic_prefix=settings.kafka_topic_prefix,
    )


async def handle(pool: asyncpg.Pool, envelope: Envelope) -> None:
    """What the consumer does with one event of a complaint intake accepted: the handler in one
    transaction, after the complaint's submission (notify acts on a complaint's events only
    once its submission is known; a redelivered submission changes nothing)."""
    async with pool.acquire() as conn, conn.transaction():
        await on_complaints_submitted(conn=conn, envelopes=[submitted_for(envelope)])
    async with pool.acquire() as conn, conn.transaction():
        await on_complaint_event(conn=conn, envelope=envelope)


async def subscribe_directly(
    pool: asyncpg.Pool,
    settings: NotifySettings,
    *,
    tracking_code: str,
    complaint_id: uuid.UUID,
    channel: str,
    address: str,
    language: str = "id",
) -> None:
    """A reporter's direct subscription as `POST /v1/subscriptions` stores it once intake
    confirmed the follow-up token (sealed with the service's key)."""
    box = SecretBox(settings.webhook_key())
    async with pool.acquire() as conn:
        await upsert_subscription(
            conn=conn,
            subscription_id=uuid.uuid4(),
            tracking_code=tracking_code,
            complaint_id=complaint_id,
            channel=channel,
            address_sealed=box.seal_address(address, tracking_code=tracking_code, channel=channel),
            language=language,
        )


def with_submissions(envelopes: list[Envelope]) -> list[Envelope]:
    """`envelopes`, each complaint's submission before its first event."""
    seen: set[uuid.UUID] = set()
    ordered: list[Envelope] = []
    for envelope in envelopes:
        if envelope.data.complaint_id not in seen:
            seen.add(envelope.data.complaint_id)
            ordered.append(submitted_for(envelope))
        ordered.append(envelope)
    return ordered


def submitted_for(envelope: Envelope) -> Envelope:
    """The submission of the complaint `envelope` is about, as intake announces it."""
    complaint = {"complaint_id": envelope.data.complaint_id, "tracking_code": envelope.data.tracking_code}
    return events.submitted(source="sigap/intake", **complaint, category=None, reporter=None)


@contextlib.asynccontextmanager
async def live_stream(
    app, client: httpx.AsyncClient, headers: dict[str, str], department: str | None = None
) -> AsyncIterator[list[dict]]:
    """A staff member's live stream (Server-Sent Events) of `department` (None: city-wide) read in
    the background; entered once notify's hub listens for it, it yields the list its messages land in."""
    received: list[dict] = []
    params = {"department": department} if department else None

    async def read() -> None:
        async with client.stream("GET", "/v1/stream", params=params, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    received.append(orjson.loads(line.removeprefix("data: ")))

    reader = asyncio.create_task(read())
    try:
        await eventually(lambda: app.state.context.hub.listening(department or "*"), timeout_s=30)
        yield received
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def add_webhook(
    conn, settings: NotifySettings, *, department: str, url: str, secret: str, created_by: str = "admin.dinas"
) -> uuid.UUID:
    """A department's webhook stored straight in notify's database, its secret sealed as the API seals it."""
    webhook_id = uuid.uuid4()
    sealed = SecretBox(settings.webhook_key()).seal(secret, webhook_id=webhook_id)
    fields = {"department": department, "url": url, "secret_sealed": sealed, "created_by": created_by}
    await create_webhook(conn=conn, subscription_id=webhook_id, **fields)
    return webhook_id


async def register_webhook(
    client: httpx.AsyncClient, settings: NotifySettings, department: str, url: str, secret: str
) -> dict:
    """A webhook registered through notify's API by the department's admin: the API's answer."""
    response = await client.post(
        f"/v1/departments/{department}/webhooks",
        json={"url": url, "secret": secret},
        headers=staff_headers(settings, "dept_admin", department),
    )
    assert response.status_code == 201, response.text
    return response.json()


def staff_headers(
    settings: NotifySettings, role: str, department: str | None = None, *, username: str | None = None
) -> dict[str, str]:
    """A bearer token as the status service issues it at login."""
    token = issue_access_token(
        StaffPrincipal(username=username or f"{role.replace('_', '.')}.test", role=role, department=department),
        secret=settings.jwt_secret.get_secret_value(),
    )
    return {"Authorization": f"Bearer {token}"}


def random_department() -> str:
    return "T" + uuid.uuid4().hex[:8].upper()


def routed(
    *,
    department: str,
    complaint_id: uuid.UUID | None = None,
    code: str | None = None,
    reporter: ReporterRef | None = None,
) -> Envelope:
    return events.routed(
        department=department,
        complaint_id=complaint_id or uuid.uuid4(),
        tracking_code=code or tracking_code(),
        reporter=reporter,
    )


def status_changed(
    *,
    complaint_id: uuid.UUID,
    code: str,
    department: str,
    status: str,
    previous: str | None,
    reporter: ReporterRef | None,
    reason: str | None = None,
) -> Envelope:
    fields = {"department": department, "previous_status": previous, "status": status, "reason": reason}
    return events.status_changed(complaint_id=complaint_id, tracking_code=code, actor="petugas", reporter=reporter, **fields)


LIFECYCLE = [
    ("diterima", None),
    ("terverifikasi", "diterima"),
    ("dalam_proses", "terverifikasi"),
    ("selesai", "dalam_proses"),
    ("dibuka_kembali", "selesai"),
    ("ditolak", "dibuka_kembali"),
]


def lifecycle(*, complaint_id: uuid.UUID, code: str, department: str, reporter: ReporterRef | None) -> list[Envelope]:
    """One status change of every kind a reporter hears about."""
    complaint = {"complaint_id": complaint_id, "code": code, "department": department, "reporter": reporter}
    note = {"selesai": "Catatan petugas", "ditolak": "Catatan petugas"}
    return [
        status_changed(**complaint, status=status, previous=previous, reason=note.get(status))
        for status, previous in LIFECYCLE
    ]
