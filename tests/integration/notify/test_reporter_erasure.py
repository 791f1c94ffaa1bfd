"""Erasing a reporter's personal data at notify (`POST /internal/v1/personal-data/complaints/
{id}/erase`, which intake calls after a granted deletion request or at the end of retention):
the direct subscriptions go, past messages no longer name the reporter nor where they went, an
event parked until the submission loses the pseudonym, a second call changes nothing, a later
event plans no message for the reporter and no new direct subscription is taken, also when
the erasure overtook the complaint's events. A real SMTP server and the real dispatcher; a
later complaint's mail is the signal that everything before it was handled."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest

from sigap_notify.bootstrap import create_app
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_shared.events import Envelope, ReporterRef
from tests.integration.notify.conftest import (
    handle,
    mail_and_intake,
    random_department,
    running_dispatchers,
    status_changed,
    submitted_for,
    tracking_code,
)
from tests.integration.notify.support import serve_asgi
from tests.support.kafka import eventually
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration


def _reporter() -> tuple[ReporterRef, str]:
    pseudonym = f"Pelapor-{uuid.uuid4().hex[:8].upper()}"
    return ReporterRef(pseudonym=pseudonym, channels=("email",)), f"{pseudonym.lower()}@example.com"


async def _consume(pool, envelope: Envelope) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await on_complaint_event(conn=conn, envelope=envelope)


async def _submit(pool, envelope: Envelope) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await on_complaints_submitted(conn=conn, envelopes=[submitted_for(envelope)])


async def _held_anywhere(pool, *needles: str) -> list[str]:
    async with pool.acquire() as conn:
        return await places_holding(conn, needles)


async def test_an_erasure_clears_the_reporter_at_notify_and_later_events_do_not_reach_them(
    infra, notify_pool, notify_database
):
    department = random_department()
    reporter, address = _reporter()
    subscribed = f"langsung.{uuid.uuid4().hex[:6]}@example.org"
    complaint_id, code, token = uuid.uuid4(), tracking_code(), "token-tindak-lanjut-uji"
    complaint = {"complaint_id": complaint_id, "code": code, "department": department}
    # A second reporter, whose complaint notify has not seen submitted when the erasure comes.
    early_reporter, early_address = _reporter()
    early = {"complaint_id": uuid.uuid4(), "code": tracking_code(), "department": department}
    # A third, never erased: their mail is the signal that the dispatcher handled what came before.
    other_reporter, other_address = _reporter()
    other = {"complaint_id": uuid.uuid4(), "code": tracking_code(), "department": department}

    async with mail_and_intake(infra, notify_database) as (settings, smtp, intake):
        for ref, to in ((reporter, address), (early_reporter, early_address), (other_reporter, other_address)):
            intake.contacts[(ref.pseudonym, "email")] = {"address": to, "language": "id"}
        intake.follow_ups[(code, token)] = str(complaint_id)
        internal = {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            async with running_dispatchers(settings, notify_pool):
                subscription = {"tracking_code": code, "follow_up_token": token, "channel": "email", "address": subscribed}
                assert (await client.post("/v1/subscriptions", json=subscription)).status_code == 201
                await handle(notify_pool, status_changed(**complaint, status="diterima", previous=None, reporter=reporter))
                await eventually(lambda: smtp.inbox.for_complaint(complaint_id), timeout_s=60)
                # Parked: its submission has not arrived.
                parked = status_changed(**early, status="diterima", previous=None, reporter=early_reporter)
                await _consume(notify_pool, parked)
                assert await _held_anywhere(notify_pool, reporter.pseudonym, early_reporter.pseudonym)

                erase = f"/internal/v1/personal-data/complaints/{complaint_id}/erase"
                refused = await client.post(erase)
                assert refused.status_code == 401
                assert refused.headers["content-type"].startswith("application/problem+json")
                erased = await client.post(erase, headers=internal)
                assert erased.status_code == 200, erased.text
                first = erased.json()
                assert first["subscriptions_erased"] == 1 and first["messages_cleared"] == 1
                early_erased = await client.post(
                    f"/internal/v1/personal-data/complaints/{early['complaint_id']}/erase", headers=internal
                )
                assert early_erased.status_code == 200, early_erased.text
                assert early_erased.json()["parked_events_cleared"] == 1
                assert await _held_anywhere(notify_pool, reporter.pseudonym, early_reporter.pseudonym, subscribed) == []
                [payload] = await notify_pool.fetch(
                    "SELECT payload FROM parked_events WHERE complaint_id = $1", early["complaint_id"]
                )
                assert orjson.loads(payload["payload"])["reporter"] is None

                # Idempotent: the retention job may meet the same complaint again.
                again = await client.post(erase, headers=internal)
                assert again.status_code == 200, again.text
                assert again.json() == first | {"subscriptions_erased": 0, "messages_cleared": 0, "message_texts_cleared": 0}

                # The reporter cannot subscribe again; events still naming them (in flight,
                # redelivered, released from parking) plan nothing for them.
                resubscribed = await client.post("/v1/subscriptions", json=subscription)
                assert resubscribed.status_code == 409, resubscribed.text
                assert resubscribed.headers["content-type"].startswith("application/problem+json")
                assert resubscribed.json()["type"] == "/problems/reporter-erased"
                await _consume(
                    notify_pool, status_changed(**complaint, status="terverifikasi", previous="diterima", reporter=reporter)
                )
                await _submit(notify_pool, parked)
                await handle(notify_pool, status_changed(**other, status="diterima", previous=None, reporter=other_reporter))
                await eventually(lambda: smtp.inbox.for_complaint(other["complaint_id"]), timeout_s=60)

    assert len(smtp.inbox.for_complaint(complaint_id)) == 1  # the one sent before the erasure
    assert smtp.inbox.for_complaint(early["complaint_id"]) == []
    reporters = await notify_pool.fetch(
        "SELECT recipient, status FROM notifications WHERE complaint_id = ANY($1::uuid[]) AND recipient LIKE 'reporter:%'",
        [complaint_id, early["complaint_id"]],
    )
    assert [(row["recipient"], row["status"]) for row in reporters] == [("reporter:dihapus", "sent")]
    assert await _held_anywhere(
        notify_pool, reporter.pseudonym, early_reporter.pseudonym, address, early_address, subscribed
    ) == []
