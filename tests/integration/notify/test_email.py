"""Email delivery through a real SMTP server (aiosmtpd) in the test process, with reporter
contacts resolved at send time from a real HTTP stand-in for intake's internal API."""

from __future__ import annotations

import uuid

import pytest

from sigap_notify.deliveries.repository import list_for_complaint
from sigap_notify.subscriptions.repository import set_department_emails
from sigap_shared.events import ReporterRef
from tests.integration.notify.conftest import (
    handle,
    lifecycle,
    mail_and_intake,
    mail_server,
    random_department,
    routed,
    running_dispatchers,
    tracking_code,
)
from tests.integration.notify.support import FakeIntake
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


async def _statuses(pool, complaint_id) -> dict[tuple[str, str, str], tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT recipient, channel, template, status, attempts FROM notifications WHERE complaint_id = $1",
        complaint_id,
    )
    return {(r["recipient"], r["channel"], r["template"]): (r["status"], r["attempts"]) for r in rows}


async def _all_final(pool, complaint_id, expected: int):
    statuses = await _statuses(pool, complaint_id)
    done = [s for s, _ in statuses.values() if s in ("sent", "failed", "undeliverable")]
    return statuses if len(statuses) == expected and len(done) == expected else None


async def _setup_complaint(pool, intake: FakeIntake, department: str):
    complaint_id = uuid.uuid4()
    code = tracking_code()
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:6].upper()
    address = f"warga.{uuid.uuid4().hex[:6]}@example.com"
    intake.contacts[(pseudonym, "email")] = {"address": address, "language": "id"}
    async with pool.acquire() as conn:
        await set_department_emails(
            conn=conn, department=department, emails=[f"admin.{department.lower()}@depok.go.id"]
        )
    reporter = ReporterRef(pseudonym=pseudonym, channels=("email",))
    events = [routed(department=department, complaint_id=complaint_id, code=code, reporter=reporter)]
    events += lifecycle(complaint_id=complaint_id, code=code, department=department, reporter=reporter)
    return complaint_id, code, address, events


async def test_each_message_type_reaches_the_inbox_once(infra, notify_pool, notify_database):
    intake = FakeIntake()
    department = random_department()
    async with mail_and_intake(infra, notify_database, intake) as (settings, smtp, _):
        complaint_id, code, address, events = await _setup_complaint(notify_pool, intake, department)
        # Two dispatchers share the queue as two replicas would; every event is handled twice
        # (a redelivery), and still every message arrives once.
        async with running_dispatchers(settings, notify_pool, count=2):
            for envelope in events + events:
                await handle(notify_pool, envelope)
            # routed: dashboard + department email; six status changes: one reporter email each.
            statuses = await eventually(lambda: _all_final(notify_pool, complaint_id, 8), timeout_s=60)
        assert {status for status, _ in statuses.values()} == {"sent"}

    mails = smtp.inbox.for_complaint(complaint_id)
    assert len(mails) == 7
    assert len({mail["Message-ID"] for mail in mails}) == 7
    staff = [mail for mail in mails if mail["To"] == f"admin.{department.lower()}@depok.go.id"]
    assert len(staff) == 1 and staff[0]["Subject"] == f"Laporan baru {code} di antrean {department}"
    reporter_mails = [mail for mail in mails if mail["To"] == address]
    subjects = sorted(mail["Subject"] for mail in reporter_mails)
    assert subjects == sorted(
        [
            f"Laporan {code} telah diterima",
            f"Laporan {code} telah diverifikasi",
            f"Laporan {code} sedang ditangani",
            f"Laporan {code} telah selesai",
            f"Laporan {code} dibuka kembali",
            f"Laporan {code} ditolak",
        ]
    )
    finished = next(mail for mail in reporter_mails if "selesai" in mail["Subject"])
    body = finished.get_content()
    assert "Catatan petugas" in body and f"/lacak/{code}/nilai" in body

    # The delivery log shows where each message went, masked.
    async with notify_pool.acquire() as conn:
        rows = await list_for_complaint(conn=conn, complaint_id=complaint_id)
    reporter_rows = [row for row in rows if row["recipient"].startswith("reporter:")]
    assert {row["address_masked"] for row in reporter_rows} == {"w***@e***.com"}
    assert all(address not in (row["address_masked"] or "") for row in rows)


async def test_smtp_refusing_then_recovering_delivers_everything_exactly_once(infra, notify_pool, notify_database):
    intake = FakeIntake()
    department = random_department()
    mail = mail_and_intake(infra, notify_database, intake, delivery_max_attempts=10_000)
    async with mail as (settings, smtp, _):
        complaint_id, _code, _address, events = await _setup_complaint(notify_pool, intake, department)
        smtp.inbox.refuse_with = "451 4.3.0 Mailbox busy, try later"
        async with running_dispatchers(settings, notify_pool, count=2):
            for envelope in events:
                await handle(notify_pool, envelope)
            await eventually(lambda: smtp.inbox.refused >= 7, timeout_s=60)
            smtp.inbox.refuse_with = "554 5.3.0 Relay refuses"
            refused_before = smtp.inbox.refused
            await eventually(lambda: smtp.inbox.refused >= refused_before + 7, timeout_s=60)
            # And the server gone altogether: connections refused.
            await smtp.stop()

            async def retried_while_down():
                rows = await notify_pool.fetch(
                    "SELECT last_error FROM notifications WHERE complaint_id = $1 AND channel = 'email'"
                    " AND status = 'pending' AND last_error LIKE '%Connect%'",
                    complaint_id,
                )
                return len(rows) == 7

            await eventually(retried_while_down, timeout_s=60)
            assert smtp.inbox.for_complaint(complaint_id) == []
            smtp.inbox.refuse_with = None
            await smtp.start()
            statuses = await eventually(lambda: _all_final(notify_pool, complaint_id, 8), timeout_s=60)
    assert {status for status, _ in statuses.values()} == {"sent"}
    email_attempts = [attempts for (_, channel, _), (_, attempts) in statuses.items() if channel == "email"]
    assert min(email_attempts) >= 3  # each was refused with 4xx, with 5xx and while down
    mails = smtp.inbox.for_complaint(complaint_id)
    assert len(mails) == 7
    assert len({mail["Message-ID"] for mail in mails}) == 7


async def test_retries_end_in_failed_and_other_complaints_go_on(infra, notify_pool, notify_database):
    intake = FakeIntake()
    department = random_department()
    async with mail_and_intake(infra, notify_database, intake, delivery_max_attempts=3) as (settings, smtp, _):
        complaint_id, _code, _address, events = await _setup_complaint(notify_pool, intake, department)
        # A reporter intake does not know: nothing to retry.
        unknown = ReporterRef(pseudonym="Pelapor-TIDAKADA", channels=("email", "sms"))
        other_id = uuid.uuid4()
        other_events = lifecycle(complaint_id=other_id, code=tracking_code(), department=department, reporter=unknown)[
            :1
        ]
        smtp.inbox.refuse_with = "421 4.7.0 Too busy"
        async with running_dispatchers(settings, notify_pool):
            for envelope in events + other_events:
                await handle(notify_pool, envelope)
            statuses = await eventually(lambda: _all_final(notify_pool, complaint_id, 8), timeout_s=60)
            other = await eventually(lambda: _all_final(notify_pool, other_id, 2), timeout_s=60)
    email_rows = [value for (_, channel, _), value in statuses.items() if channel == "email"]
    assert email_rows == [("failed", 3)] * 7
    assert statuses[(f"department:{department}:admins", "dashboard", "staff.new_in_queue")] == ("sent", 1)
    assert {status for status, _ in other.values()} == {"undeliverable"}
    assert smtp.inbox.for_complaint(complaint_id) == []


async def test_many_new_complaints_become_one_digest_per_window(infra, notify_pool, notify_database):
    busy, quiet = random_department(), random_department()
    digest = {"staff_digest_threshold": 2, "staff_digest_window_s": 2.0}
    async with mail_server(infra, notify_database, **digest) as (settings, smtp):
        async with notify_pool.acquire() as conn:
            for department in (busy, quiet):
                await set_department_emails(
                    conn=conn, department=department, emails=[f"antrean.{department.lower()}@depok.go.id"]
                )
        burst = [routed(department=busy) for _ in range(6)]
        single = routed(department=quiet)
        # Recorded before the dispatcher starts: the burst is due all at once.
        for envelope in burst + [single]:
            await handle(notify_pool, envelope)
        async with running_dispatchers(settings, notify_pool):

            async def all_sent():
                rows = await notify_pool.fetch(
                    "SELECT status FROM notifications WHERE channel = 'email' AND event_id = ANY($1::uuid[])",
                    [envelope.id for envelope in burst + [single]],
                )
                return len(rows) == 7 and {row["status"] for row in rows} == {"sent"}

            await eventually(all_sent, timeout_s=60)
    busy_mails = [m for m in smtp.inbox.messages if m["To"] == f"antrean.{busy.lower()}@depok.go.id"]
    quiet_mails = [m for m in smtp.inbox.messages if m["To"] == f"antrean.{quiet.lower()}@depok.go.id"]
    assert len(busy_mails) == 1
    assert busy_mails[0]["Subject"] == f"Ringkasan 6 laporan baru untuk {busy}"
    body = busy_mails[0].get_content()
    assert all(envelope.data.tracking_code in body for envelope in burst)
    assert [m["Subject"] for m in quiet_mails] == [f"Laporan baru {single.data.tracking_code} di antrean {quiet}"]
