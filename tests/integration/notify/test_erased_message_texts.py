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
from sigap_notify.personal_data.commands import erase_reporter
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
