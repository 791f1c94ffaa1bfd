"""SP4N-LAPOR!'s auto-close from status's sweep to the reporter's mailbox, on real PostgreSQL,
Kafka and SMTP: the sweep closes a quiet finished complaint, status's outbox relay publishes the
change on the status topic, notify's consumer plans its messages and the dispatcher mails them.
The reporter gets exactly one message for the closing, with its own text (not a second
"selesai" message); a complaint that was only finished gets the normal message; the
department's webhook gets the closing event as it gets every status change."""

from __future__ import annotations

import uuid

import pytest

from sigap_notify.events.handlers import on_complaint_event
from sigap_shared.consumer import DeadLetterPublisher
from sigap_shared.events import (
    AUTO_CLOSE_REASON,
    TOPIC_COMPLAINT_STATUS,
    ComplaintStatusChanged,
    Envelope,
    decode,
    headers_from_json,
)
from sigap_shared.outbox import OutboxRelay
from sigap_status.context import lapor_policy_from_settings, sla_policy_from_settings
from sigap_status.lapor.commands import close_quiet_complaints
from tests.integration.notify.conftest import (  # noqa: F401 (fixtures)
    add_webhook,
    events_consumer,
    notify_database,
    notify_pool,
    notify_settings,
    running_dispatchers,
)
from tests.integration.notify.support import (
    FakeIntake,
    WebhookReceiver,
    notify_knows,
    serve_asgi,
    smtp_server,
)
from tests.integration.status.conftest import status_api  # noqa: F401 (fixture)
from tests.support.kafka import eventually
from tests.support.tasks import running

pytestmark = pytest.mark.integration

NOTE = "Lampu PJU sudah diganti dan menyala kembali."


async def _status_events(api, complaint_id: uuid.UUID, *, after: int) -> list[Envelope]:
    """The complaint's status changes in status's outbox, from outbox row `after` on."""
    rows = await api.pool.fetch(
        "SELECT headers, payload FROM outbox WHERE key = $1 AND id > $2 ORDER BY id", str(complaint_id).encode(), after
    )
    envelopes = [decode(headers_from_json(row["headers"]), bytes(row["payload"])) for row in rows]
    return [e for e in envelopes if isinstance(e.data, ComplaintStatusChanged)]


async def test_auto_close_sends_one_message_of_its_own_and_a_normal_close_the_normal_one(
    status_api, infra, notify_pool, notify_database  # noqa: F811
):
    api = status_api
    department = "LC" + uuid.uuid4().hex[:6].upper()
    quiet = await api.seed_complaint(department=department)
    finished = await api.seed_complaint(department=department)
    reporter = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    # Both complaints' reporter chose e-mail (the seed's reporter chose SMS).
    await api.pool.execute(
        "UPDATE complaints SET reporter_pseudonym = $2, reporter_channels = '{email}' WHERE id = ANY($1::uuid[])",
        [quiet, finished],
        reporter,
    )
    codes = {
        row["id"]: row["tracking_code"]
        for row in await api.pool.fetch(
            "SELECT id, tracking_code FROM complaints WHERE id = ANY($1::uuid[])", [quiet, finished]
        )
    }
    # The seeds' own events (to the seed's reporter) are not this test's business.
    after = await api.pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    for complaint_id in (quiet, finished):
        await notify_knows(notify_pool, complaint_id, codes[complaint_id])
        await api.finish(complaint_id, department, NOTE)

    # The quiet one's follow-up was a month ago: the sweep closes it (and only it), once.
    await api.pool.execute("UPDATE complaints SET resolved_at = now() - interval '30 days' WHERE id = $1", quiet)
    policy = lapor_policy_from_settings(api.settings, sla_policy_from_settings(api.settings))
    async with api.pool.acquire() as conn:
        assert await close_quiet_complaints(conn=conn, policy=policy) == 1
        assert await close_quiet_complaints(conn=conn, policy=policy) == 0
    [closing] = [e for e in await _status_events(api, quiet, after=after) if e.data.reason == AUTO_CLOSE_REASON]
    status_event_ids = [e.id for c in (quiet, finished) for e in await _status_events(api, c, after=after)]

    intake = FakeIntake()
    address = f"warga.{uuid.uuid4().hex[:6]}@example.com"
    intake.contacts[(reporter, "email")] = {"address": address, "language": "id"}
    secret = "rahasia-dinas-" + uuid.uuid4().hex
    receiver = WebhookReceiver(secret=secret)
    prefix = f"test{uuid.uuid4().hex[:8]}."  # a fresh status topic: only this test's events
    relay = OutboxRelay(
        connect_kwargs=infra.pg_kwargs(api.settings.pg_database),
        bootstrap=infra.kafka_bootstrap,
        client_id=f"test-status-relay-{uuid.uuid4().hex[:6]}",
        poll_interval_s=0.2,
        topic_prefix=prefix,
    )
    dead_letters = DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test-notify", topic_prefix=prefix)
    consumer = events_consumer(
        infra,
        notify_pool,
        source_topic=prefix + TOPIC_COMPLAINT_STATUS,
        handlers={ComplaintStatusChanged.event_type: on_complaint_event},
        dead_letters=dead_letters,
    )

    async def all_settled() -> bool:
        """Every status event handled, and every message it planned sent (all of an event's
        messages are planned in the transaction that handles it)."""
        handled = await notify_pool.fetchval(
            "SELECT count(DISTINCT event_id) FROM notifications WHERE event_id = ANY($1::uuid[])", status_event_ids
        )
        unsent = await notify_pool.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = ANY($1::uuid[]) AND status <> 'sent'", status_event_ids
        )
        return handled == len(status_event_ids) and unsent == 0

    async with (
        smtp_server() as smtp,
        serve_asgi(intake.app()) as intake_url,
        serve_asgi(receiver.app()) as receiver_url,
    ):
        settings = notify_settings(
            infra,
            notify_database,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            intake_internal_url=intake_url,
            internal_token=intake.token,
        )
        async with notify_pool.acquire() as conn:
            await add_webhook(conn, settings, department=department, url=f"{receiver_url}/hook", secret=secret)
        async with running_dispatchers(settings, notify_pool), running(relay.run(), consumer.run()):
            await eventually(all_settled, timeout_s=90)

    def subjects(complaint_id: uuid.UUID) -> list[str]:
        return sorted(mail["Subject"] for mail in smtp.inbox.for_complaint(complaint_id))

    quiet_code, finished_code = codes[quiet], codes[finished]
    # The quiet complaint: the follow-up's "selesai" message once, then the closing's own, once.
    assert subjects(quiet).count(f"Laporan {quiet_code} telah selesai") == 1
    assert subjects(quiet).count(f"Laporan {quiet_code} ditutup otomatis") == 1
    [closed_mail] = [m for m in smtp.inbox.for_complaint(quiet) if m["Subject"].endswith("ditutup otomatis")]
    body = closed_mail.get_content()
    assert closed_mail["To"] == address
    assert "ditutup otomatis karena tidak ada tanggapan" in body and department in body
    assert NOTE in body.splitlines() and "$" not in body
    # The complaint that was only finished: the normal message, and nothing about closing.
    assert subjects(finished).count(f"Laporan {finished_code} telah selesai") == 1
    assert not [s for s in subjects(finished) if "ditutup otomatis" in s]

    planned = await notify_pool.fetch(
        "SELECT recipient, channel, template FROM notifications WHERE event_id = $1 ORDER BY channel", closing.id
    )
    assert [(row["recipient"], row["channel"], row["template"]) for row in planned] == [
        (f"reporter:{reporter}", "email", "reporter.closed_automatically"),
        (planned[1]["recipient"], "webhook", ComplaintStatusChanged.event_type),
    ]
    # The department's system gets the closing as the status change it is, without the reporter.
    [hooked] = [event for event in receiver.events if event["id"] == str(closing.id)]
    assert receiver.bad_signatures == 0
    assert hooked["type"] == ComplaintStatusChanged.event_type
    assert (hooked["data"]["status"], hooked["data"]["reason"]) == ("selesai", AUTO_CLOSE_REASON)
    assert hooked["data"]["reporter"] is None and reporter not in str(hooked)
