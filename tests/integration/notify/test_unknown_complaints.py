"""Events about a complaint notify has not seen submitted have no effect until it is: a routing
may legitimately arrive before its submission (another topic) and is delivered when the
submission comes; an event about a complaint that was never submitted (forged: a routing that
would put a phantom in a department's queue, an SLA breach that would alarm its admins) mails
nobody, reaches no webhook or department topic, and waits until housekeeping purges it.

A real SMTP server and the real dispatcher: a later real complaint's mail is the signal that
everything before it was handled."""

from __future__ import annotations

import uuid

import pytest

from sigap_notify.bootstrap import expiring_rows
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_notify.subscriptions.repository import set_department_emails
from sigap_shared.events import ComplaintSubmitted, Envelope
from sigap_shared.housekeeping import purge_once
from tests.integration.notify.conftest import (
    mail_server,
    random_department,
    routed,
    running_dispatchers,
    submitted_for,
    tracking_code,
)
from tests.support import events
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


def sla_breached(*, department: str, complaint_id: uuid.UUID | None = None, code: str | None = None) -> Envelope:
    complaint = {"complaint_id": complaint_id or uuid.uuid4(), "tracking_code": code or tracking_code()}
    return events.sla_breached(**complaint, department=department, status="diterima", stage="verify")


async def _consume(pool, *envelopes: Envelope) -> None:
    """What notify's consumer does: each event in its own transaction, submissions as batches."""
    for envelope in envelopes:
        async with pool.acquire() as conn, conn.transaction():
            if isinstance(envelope.data, ComplaintSubmitted):
                await on_complaints_submitted(conn=conn, envelopes=[envelope])
            else:
                await on_complaint_event(conn=conn, envelope=envelope)


async def _effects(pool, complaint_id: uuid.UUID) -> tuple[int, int]:
    deliveries = await pool.fetchval("SELECT count(*) FROM notifications WHERE complaint_id = $1", complaint_id)
    copies = await pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1", str(complaint_id).encode())
    return deliveries, copies


async def test_forged_routing_and_sla_breach_mail_nobody(infra, notify_pool, notify_database):
    department = random_department()
    async with notify_pool.acquire() as conn:
        await set_department_emails(
            conn=conn, department=department, emails=[f"kepala@{department.lower()}.depok.go.id"]
        )
    phantom = routed(department=department)  # no complaint was ever submitted
    alarm = sla_breached(department=department)  # about a complaint nobody knows
    real = routed(department=department)
    async with mail_server(infra, notify_database) as (settings, smtp):
        async with running_dispatchers(settings, notify_pool):
            await _consume(notify_pool, phantom, alarm, submitted_for(real), real)
            await eventually(lambda: smtp.inbox.for_complaint(real.data.complaint_id), timeout_s=60)
            # The real complaint's SLA breach alarms its admins; the forged one did not.
            breach = sla_breached(department=department, complaint_id=real.data.complaint_id, code=real.data.tracking_code)
            await _consume(notify_pool, breach)
            await eventually(lambda: len(smtp.inbox.for_complaint(real.data.complaint_id)) >= 2, timeout_s=60)
    assert smtp.inbox.for_complaint(phantom.data.complaint_id) == []
    assert smtp.inbox.for_complaint(alarm.data.complaint_id) == []
    assert await _effects(notify_pool, phantom.data.complaint_id) == (0, 0)
    assert await _effects(notify_pool, alarm.data.complaint_id) == (0, 0)
    assert await notify_pool.fetchval(
        "SELECT count(*) FROM complaint_departments WHERE complaint_id = $1", phantom.data.complaint_id
    ) == 0
    parked = await notify_pool.fetch("SELECT event_id FROM parked_events ORDER BY id")
    assert [row["event_id"] for row in parked] == [phantom.id, alarm.id]

    # Housekeeping purges what waited longer than the retention.
    await notify_pool.execute("UPDATE parked_events SET parked_at = now() - interval '9 days'")
    async with notify_pool.acquire() as conn:
        await purge_once(conn=conn, outbox_retention_s=86400, inbox_retention_s=86400, expiring=expiring_rows(settings))
    assert await notify_pool.fetchval("SELECT count(*) FROM parked_events") == 0


async def test_a_routing_before_its_submission_is_delivered_when_the_submission_arrives(
    infra, notify_pool, notify_database
):
    department = random_department()
    async with notify_pool.acquire() as conn:
        await set_department_emails(
            conn=conn, department=department, emails=[f"kepala@{department.lower()}.depok.go.id"]
        )
    early = routed(department=department)
    await _consume(notify_pool, early)
    assert await _effects(notify_pool, early.data.complaint_id) == (0, 0)
    async with mail_server(infra, notify_database) as (settings, smtp):
        async with running_dispatchers(settings, notify_pool):
            await _consume(notify_pool, submitted_for(early))
            [mail] = await eventually(lambda: smtp.inbox.for_complaint(early.data.complaint_id), timeout_s=60)
    assert early.data.tracking_code in mail["Subject"]
    deliveries, copies = await _effects(notify_pool, early.data.complaint_id)
    assert deliveries == 2 and copies == 1  # dashboard and email; the department topic's copy
    assert await notify_pool.fetchval("SELECT count(*) FROM parked_events WHERE complaint_id = $1", early.data.complaint_id) == 0
    # Redelivered, the submission releases nothing twice.
    await _consume(notify_pool, submitted_for(early))
    assert await _effects(notify_pool, early.data.complaint_id) == (2, 1)
