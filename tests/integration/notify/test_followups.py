"""Events that do not name a department (a reporter adding information, rating the handling or
asking to reopen) reach the complaint's current lead department, which notify learns from
routing's events, transfers included."""

from __future__ import annotations

import uuid

import pytest

from sigap_notify.subscriptions.repository import set_department_emails
from sigap_shared.events import Envelope
from tests.integration.notify.conftest import (
    handle,
    mail_server,
    random_department,
    routed,
    running_dispatchers,
    tracking_code,
)
from tests.support import events
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


def _information_added(complaint_id: uuid.UUID, code: str) -> Envelope:
    return events.information_added(complaint_id=complaint_id, tracking_code=code, text="Sekarang makin parah")


async def _recipients(pool, event_id) -> set[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT recipient, channel, template FROM notifications WHERE event_id = $1", event_id)
    return {(row["recipient"], row["channel"], row["template"]) for row in rows}


async def test_reporter_information_reaches_the_current_lead_department(notify_pool):
    first, second = random_department(), random_department()
    complaint_id, code = uuid.uuid4(), tracking_code()
    unknown = _information_added(uuid.uuid4(), tracking_code())
    await handle(notify_pool, unknown)
    assert await _recipients(notify_pool, unknown.id) == set()

    await handle(notify_pool, routed(department=first, complaint_id=complaint_id, code=code))
    before = _information_added(complaint_id, code)
    await handle(notify_pool, before)
    assert await _recipients(notify_pool, before.id) == {
        (f"department:{first}:admins", "dashboard", "staff.reporter_replied"),
        (f"department:{first}:admins", "email", "staff.reporter_replied"),
    }

    transfer = events.transferred(
        complaint_id=complaint_id, tracking_code=code, from_department=first, to_department=second
    )
    await handle(notify_pool, transfer)
    assert (f"department:{second}:admins", "email", "staff.transferred_in") in await _recipients(
        notify_pool, transfer.id
    )
    after = _information_added(complaint_id, code)
    await handle(notify_pool, after)
    assert {recipient for recipient, _, _ in await _recipients(notify_pool, after.id)} == {
        f"department:{second}:admins"
    }
    # The department topic copy went to the department that leads the complaint at the time.
    topics = await notify_pool.fetch(
        "SELECT event_id, topic FROM outbox WHERE event_id = ANY($1::uuid[])", [before.id, after.id]
    )
    assert {row["event_id"]: row["topic"] for row in topics} == {
        before.id: f"sigap.department.{first}",
        after.id: f"sigap.department.{second}",
    }


async def test_ratings_and_reopen_requests_reach_the_lead_departments_admins(infra, notify_pool, notify_database):
    department = random_department()
    complaint_id, code = uuid.uuid4(), tracking_code()
    admins = f"admin.{department.lower()}@depok.go.id"
    async with mail_server(infra, notify_database) as (settings, smtp):
        async with notify_pool.acquire() as conn:
            await set_department_emails(conn=conn, department=department, emails=[admins])
        await handle(notify_pool, routed(department=department, complaint_id=complaint_id, code=code))
        rated = events.rated(
            complaint_id=complaint_id, tracking_code=code, rating=2, comment="Perbaikannya hanya sementara"
        )
        reopen = events.reopen_requested(
            complaint_id=complaint_id, tracking_code=code, reason="Jalan berlubang lagi setelah hujan"
        )
        async with running_dispatchers(settings, notify_pool):
            for envelope in (rated, reopen, rated):
                await handle(notify_pool, envelope)
            await eventually(lambda: len(smtp.inbox.for_complaint(complaint_id)) >= 3, timeout_s=60)

            async def dashboards_sent():
                rows = await notify_pool.fetch(
                    "SELECT status FROM notifications WHERE event_id = ANY($1::uuid[]) AND channel = 'dashboard'",
                    [rated.id, reopen.id],
                )
                return len(rows) == 2 and {row["status"] for row in rows} == {"sent"}

            await eventually(dashboards_sent, timeout_s=60)
    mails = smtp.inbox.for_complaint(complaint_id)
    subjects = sorted(mail["Subject"] for mail in mails if mail["To"] == admins)
    assert subjects == sorted(
        [
            f"Laporan baru {code} di antrean {department}",
            f"Pelapor menilai penanganan laporan {code}",
            f"Pelapor meminta laporan {code} dibuka kembali",
        ]
    )
    rating_mail = next(mail for mail in mails if "menilai" in mail["Subject"])
    assert "2 dari 5" in rating_mail.get_content()
    # The reporter's own words stay in the dashboard, not in mail.
    assert all("sementara" not in mail.get_content() and "hujan" not in mail.get_content() for mail in mails)
    topics = await notify_pool.fetch(
        "SELECT event_id, topic FROM outbox WHERE event_id = ANY($1::uuid[])", [rated.id, reopen.id]
    )
    assert sorted((row["event_id"], row["topic"]) for row in topics) == sorted(
        [(rated.id, f"sigap.department.{department}"), (reopen.id, f"sigap.department.{department}")]
    )
