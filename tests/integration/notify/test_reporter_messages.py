"""The department's messages to a reporter reach the reporter, body included, on each channel
they chose (real SMTP server, real SMS gateway, contacts from the intake stand-in), and the
department's webhook carries the event like its other events: signed, without the reporter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from sigap_shared.events import ComplaintReporterMessagePosted, Envelope, ReporterRef
from tests.integration.notify.conftest import (
    add_webhook,
    handle,
    mail_server,
    notify_settings,
    random_department,
    routed,
    running_dispatchers,
    subscribe_directly,
    tracking_code,
)
from tests.integration.notify.support import FakeIntake, Gateway, WebhookReceiver, serve_asgi, smtp_server
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

BODY = "Mohon kirim foto lokasi yang lebih jelas; petugas kami belum menemukan titiknya."


def _message(complaint_id, code: str, department: str, reporter: ReporterRef | None) -> Envelope:
    return Envelope(
        source="sigap/status",
        data=ComplaintReporterMessagePosted(
            complaint_id=complaint_id,
            message_id=uuid.uuid4(),
            tracking_code=code,
            department=department,
            body=BODY,
            actor="admin.dinas",
            actor_role="dept_admin",
            reporter=reporter,
            posted_at=datetime.now(UTC),
        ),
    )


async def test_department_message_reaches_the_reporter_and_the_departments_webhook(infra, notify_pool, notify_database):
    department = random_department()
    intake, gateway = FakeIntake(), Gateway()
    gateway.failing = False
    secret = "rahasia-dinas-" + uuid.uuid4().hex
    receiver = WebhookReceiver(secret=secret)
    siti, john = "Pelapor-" + uuid.uuid4().hex[:8].upper(), "Pelapor-" + uuid.uuid4().hex[:8].upper()
    intake.contacts[(siti, "email")] = {"address": f"siti.{uuid.uuid4().hex[:6]}@example.com", "language": "id"}
    intake.contacts[(siti, "sms")] = {"address": "+6281234567890", "language": "id"}
    intake.contacts[(john, "email")] = {"address": f"john.{uuid.uuid4().hex[:6]}@example.org", "language": "en"}
    first, second = (uuid.uuid4(), tracking_code()), (uuid.uuid4(), tracking_code())
    async with (
        smtp_server() as smtp,
        serve_asgi(intake.app()) as intake_url,
        serve_asgi(gateway.app()) as gateway_url,
        serve_asgi(receiver.app()) as receiver_url,
    ):
        settings = notify_settings(
            infra,
            notify_database,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            sms_gateway_url=f"{gateway_url}/send",
            sms_gateway_token="gateway-token",
            intake_internal_url=intake_url,
            internal_token=intake.token,
        )
        async with notify_pool.acquire() as conn:
            await add_webhook(conn, settings, department=department, url=f"{receiver_url}/hook", secret=secret)
        messages = [
            _message(*first, department, ReporterRef(pseudonym=siti, channels=("email", "sms"))),
            _message(*second, department, ReporterRef(pseudonym=john, channels=("email",))),
        ]
        async with running_dispatchers(settings, notify_pool):
            for envelope in messages + messages:  # redelivered: still one message each
                await handle(notify_pool, envelope)
            await eventually(
                lambda: len(smtp.inbox.messages) >= 2 and gateway.messages and len(receiver.events) >= 2,
                timeout_s=60,
            )

            async def all_sent():
                rows = await notify_pool.fetch(
                    "SELECT status FROM notifications WHERE event_id = ANY($1::uuid[])", [m.id for m in messages]
                )
                return len(rows) == 5 and {row["status"] for row in rows} == {"sent"}

            await eventually(all_sent, timeout_s=60)

    [to_siti] = smtp.inbox.for_complaint(first[0])
    assert to_siti["To"] == intake.contacts[(siti, "email")]["address"]
    assert to_siti["Subject"] == f"Balasan dari dinas untuk laporan {first[1]}"
    assert BODY in to_siti.get_content() and department in to_siti.get_content()
    [to_john] = smtp.inbox.for_complaint(second[0])
    assert to_john["Subject"] == f"Reply from the department on report {second[1]}"
    assert BODY in to_john.get_content()
    [sms] = gateway.messages
    assert sms["to"] == "+6281234567890" and BODY in sms["text"]
    # The department's system gets the event itself, signed, with the body and no reporter.
    assert receiver.bad_signatures == 0
    assert sorted(event["id"] for event in receiver.events) == sorted(str(m.id) for m in messages)
    for event in receiver.events:
        assert event["type"] == ComplaintReporterMessagePosted.event_type
        assert event["data"]["body"] == BODY and event["data"]["reporter"] is None
        assert siti not in str(event) and john not in str(event)


async def test_anonymous_reporter_hears_the_reply_through_a_direct_subscription(infra, notify_pool, notify_database):
    department = random_department()
    complaint_id, code = uuid.uuid4(), tracking_code()
    address = f"anonim.{uuid.uuid4().hex[:6]}@example.org"
    async with mail_server(infra, notify_database) as (settings, smtp):
        await subscribe_directly(
            notify_pool, settings, tracking_code=code, complaint_id=complaint_id, channel="email", address=address
        )
        await handle(notify_pool, routed(department=department, complaint_id=complaint_id, code=code))
        message = _message(complaint_id, code, department, reporter=None)
        async with running_dispatchers(settings, notify_pool):
            await handle(notify_pool, message)
            await eventually(lambda: smtp.inbox.for_complaint(complaint_id), timeout_s=60)
    [mail] = smtp.inbox.for_complaint(complaint_id)
    assert mail["To"] == address and BODY in mail.get_content()
    assert mail["Subject"] == f"Balasan dari dinas untuk laporan {code}"
