"""A reporter's erasure empties the free texts of every message notify holds about their
complaint (issue 15, UU 27/2022), whoever it was for: the department's message to the reporter,
a status change's note and resolution note, a joint handling's reason to the supporting
department's staff, the event a webhook delivery carries, the department copies in the outbox
and an event parked until the submission. The rows stay. A staff mail not sent yet goes out
saying the text was removed; an event written before the erasure but handled after it stores
no text, one written after it keeps its own. Real PostgreSQL, a real SMTP server and the real
dispatcher."""

from __future__ import annotations

import random
import uuid

import orjson
import pytest

from sigap_notify.events.handlers import on_complaint_event
from sigap_notify.deliveries.repository import mark_final, park_webhook_delivery
from sigap_notify.personal_data.commands import erase_reporter
from sigap_notify.personal_data.repository import ERASED_ERROR
from sigap_notify.personal_data.rules import ERASED_TEXT
from sigap_notify.subscriptions.repository import set_department_emails
from sigap_shared.events import ReporterRef
from tests.integration.notify.conftest import (
    add_webhook,
    handle,
    mail_and_intake,
    random_department,
    running_dispatchers,
    tracking_code,
)
from tests.support import events
from tests.support.kafka import eventually
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration


async def test_an_erasure_empties_every_message_text_about_the_complaint(infra, notify_pool, notify_database):
    lead, supporter = random_department(), random_department()
    reporter = ReporterRef(pseudonym=f"Pelapor-{uuid.uuid4().hex[:8].upper()}", channels=("email",))
    name = "Siti Rahmawati " + "".join(random.choices("BCDFGHJKLMNPRSTW", k=6)).title()
    phone = "0812" + "".join(random.choices("0123456789", k=8))
    complaint_id, code = uuid.uuid4(), tracking_code()
    complaint = {"complaint_id": complaint_id, "tracking_code": code}
    supporter_mail = f"admin.{supporter.lower()}@depok.go.id"
    written_before = [
        events.reporter_message_posted(
            **complaint, department=lead, reporter=reporter, body=f"Bu {name}, petugas akan menelepon {phone}."
        ),
        events.status_changed(
            **complaint, department=lead, previous_status="dalam_proses", status="selesai", actor="petugas",
            reporter=reporter, note=f"Sudah menelepon {name} di {phone}",
            resolution_note=f"Lubang ditambal, dikonfirmasi oleh {name}",
        ),
        events.support_added(
            **complaint, lead_department=lead, department=supporter, supporting_departments=(supporter,),
            reason=f"Pelapor {name} ({phone}) minta alat berat",
        ),
    ]
    # Written before the erasure, handled after it (on its way when the erasure came).
    overtaken = events.status_changed(
        **complaint, department=lead, previous_status="selesai", status="selesai", actor="petugas",
        reporter=reporter, note=f"Catatan tambahan untuk {name}", resolution_note=f"Terima kasih {name}",
    )
    # Another complaint's event parked until its submission arrives.
    parked = events.reporter_message_posted(department=lead, reporter=reporter, body=f"Halo {name}, {phone}")

    async with mail_and_intake(infra, notify_database) as (settings, smtp, intake):
        intake.contacts[(reporter.pseudonym, "email")] = {"address": "pelapor.uji@example.com", "language": "id"}
        async with notify_pool.acquire() as conn:
            await add_webhook(conn, settings, department=lead, url="http://127.0.0.1:9/hook", secret="rahasia-webhook-uji")
            await set_department_emails(conn=conn, department=supporter, emails=[supporter_mail])
        for envelope in written_before:
            await handle(notify_pool, envelope)
        async with notify_pool.acquire() as conn, conn.transaction():
            await on_complaint_event(conn=conn, envelope=parked)
        assert await places_holding_in(notify_pool, name, phone)
        rows_before = await _rows(notify_pool, complaint_id)
        assert {"webhook", "email", "dashboard"} <= {row["channel"] for row in rows_before}

        async with notify_pool.acquire() as conn:
            erased = await erase_reporter(conn=conn, complaint_id=complaint_id)
            erased_parked = await erase_reporter(conn=conn, complaint_id=parked.data.complaint_id)
        assert erased.message_texts_cleared > 0 and erased.outbox_events_cleared > 0
        assert erased_parked.parked_events_cleared == 1
        assert await places_holding_in(notify_pool, name, phone) == []
        rows_after = await _rows(notify_pool, complaint_id)
        assert [row["id"] for row in rows_after] == [row["id"] for row in rows_before]  # the rows stay
        params = {(row["template"], row["recipient"]): row["params"] for row in rows_after if row["channel"] == "email"}
        assert params[("reporter.reply", "reporter:dihapus")]["message"] == ""
        assert params[("reporter.status.selesai", "reporter:dihapus")]["resolution_note"] == ""
        supporter_row = params[("staff.support_added", f"department:{supporter}:admins")]
        assert supporter_row == supporter_row | {"reason": "", "tracking_code": code, "department": supporter}

        await handle(notify_pool, overtaken)
        # Written after the erasure: staff's own words, kept as status and intake keep them.
        released = events.support_removed(
            **complaint, lead_department=lead, department=supporter, reason="Alat berat sudah selesai dipakai"
        )
        await handle(notify_pool, released)
        assert await places_holding_in(notify_pool, name, phone) == []
        assert await notify_pool.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = $1 AND params->>'reason' = $2",
            released.id,
            "Alat berat sudah selesai dipakai",
        ) == 2

        async with running_dispatchers(settings, notify_pool):
            await eventually(lambda: len(_mails_to(smtp, complaint_id, supporter_mail)) >= 2, timeout_s=60)

    added, removed = sorted(
        (mail.get_content() for mail in _mails_to(smtp, complaint_id, supporter_mail)),
        key=lambda body: "Alat berat" in body,
    )
    assert ERASED_TEXT.id in added and name not in added and phone not in added
    assert "Alat berat sudah selesai dipakai" in removed
    assert not [mail for mail in smtp.inbox.for_complaint(complaint_id) if mail["To"] != supporter_mail]
    assert await places_holding_in(notify_pool, name, phone) == []


async def test_an_erasure_clears_the_error_replies_of_staff_and_webhook_deliveries(
    infra, notify_pool, notify_database
):
    """A receiver's error reply may quote the text it was sent (a mail server, a department's
    webhook echoing the event): the erasure leaves only that the delivery failed."""
    lead, supporter = random_department(), random_department()
    name = "Dewi Lestari " + "".join(random.choices("BCDFGHJKLMNPRSTW", k=6)).title()
    complaint = {"complaint_id": uuid.uuid4(), "tracking_code": tracking_code()}
    complaint_id = complaint["complaint_id"]
    supporter_mail = f"admin.{supporter.lower()}@depok.go.id"
    added = events.support_added(
        **complaint, lead_department=lead, department=supporter, supporting_departments=(supporter,),
        reason=f"Pelapor {name} minta alat berat",
    )
    async with mail_and_intake(infra, notify_database) as (settings, _smtp, _intake):
        async with notify_pool.acquire() as conn:
            webhook_id = await add_webhook(
                conn, settings, department=lead, url="http://127.0.0.1:9/hook", secret="rahasia-webhook-uji"
            )
            await set_department_emails(conn=conn, department=supporter, emails=[supporter_mail])
        await handle(notify_pool, added)
        failed = await _fail_deliveries(notify_pool, complaint_id, webhook_id, lead, f"menolak: {name}")
        assert {"webhook", "email"} <= set(failed.values())
        assert sorted(await places_holding_in(notify_pool, name)) == [
            "notifications.last_error: " + name,
            "notifications.params: " + name,
            "outbox.payload: " + name,
            "webhook_dead_letters.last_error: " + name,
        ]

        async with notify_pool.acquire() as conn:
            erased = await erase_reporter(conn=conn, complaint_id=complaint_id)
        assert erased.delivery_errors_cleared == len(failed) + 1  # and the dead letter
        assert await places_holding_in(notify_pool, name) == []
        rows = await notify_pool.fetch(
            "SELECT id, status, last_error FROM notifications WHERE id = ANY($1::bigint[])", list(failed)
        )
        assert sorted((row["status"], row["last_error"]) for row in rows) == [("failed", ERASED_ERROR)] * len(failed)
        dead_letter = await notify_pool.fetchrow(
            "SELECT d.last_error, d.department FROM webhook_dead_letters d JOIN notifications n ON n.id = d.notification_id"
            " WHERE n.complaint_id = $1",
            complaint_id,
        )
        assert (dead_letter["last_error"], dead_letter["department"]) == (ERASED_ERROR, lead)

        # A delivery planned after the erasure keeps its error, also through a repeated erasure.
        released = events.support_removed(
            **complaint, lead_department=lead, department=supporter, reason="Alat berat sudah selesai dipakai"
        )
        await handle(notify_pool, released)
        later = await _fail_deliveries(notify_pool, complaint_id, webhook_id, lead, "HTTP 503 dari penerima")
        assert later and not set(later) & set(failed)
        async with notify_pool.acquire() as conn:
            again = await erase_reporter(conn=conn, complaint_id=complaint_id)
        assert again.delivery_errors_cleared == 0
        assert await notify_pool.fetchval(
            "SELECT count(*) FROM notifications WHERE id = ANY($1::bigint[]) AND last_error = $2",
            list(later),
            "HTTP 503 dari penerima",
        ) == len(later)


async def _fail_deliveries(pool, complaint_id: uuid.UUID, webhook_id: uuid.UUID, lead: str, error: str) -> dict[int, str]:
    """The complaint's staff and webhook deliveries not failed yet fail with `error` (as the
    dispatcher records a final failure), and the webhook's is parked for replay."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE notifications SET status = 'sending' WHERE complaint_id = $1 AND channel IN ('email', 'webhook')"
            " AND status <> 'failed' RETURNING id, channel",
            complaint_id,
        )
        for row in rows:
            assert await mark_final(conn=conn, notification_id=row["id"], status="failed", error=error)
            if row["channel"] == "webhook":
                await park_webhook_delivery(
                    conn=conn, notification_id=row["id"], subscription_id=webhook_id, department=lead, error=error
                )
    return {row["id"]: row["channel"] for row in rows}


async def places_holding_in(pool, *needles: str) -> list[str]:
    async with pool.acquire() as conn:
        return await places_holding(conn, needles)


async def _rows(pool, complaint_id: uuid.UUID) -> list[dict]:
    rows = await pool.fetch(
        "SELECT id, recipient, channel, template, params::text AS params FROM notifications"
        " WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )
    return [dict(row) | {"params": orjson.loads(row["params"])} for row in rows]


def _mails_to(smtp, complaint_id: uuid.UUID, address: str) -> list:
    return [mail for mail in smtp.inbox.for_complaint(complaint_id) if mail["To"] == address]
