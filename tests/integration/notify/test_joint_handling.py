"""Joint handling: once a department supports a complaint, its Kafka topic (real Kafka, through
notify's consumer and outbox relay) and its webhooks (a real signature-checking receiver)
carry the complaint's later events, redacted, until it stops supporting; another department
sees none of them. The supporting department's admins are told by mail."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sigap_notify.bootstrap import service_spec
from sigap_notify.events.audience import department_topic
from sigap_notify.subscriptions.repository import set_department_emails
from sigap_shared.consumer import DeadLetterPublisher
from sigap_shared.events import Envelope, ReporterRef, encode
from tests.integration.notify.conftest import (
    add_webhook,
    department_relay,
    events_consumer,
    handle,
    mail_settings,
    notify_settings,
    random_department,
    routed,
    running_dispatchers,
    status_changed,
    tracking_code,
    with_submissions,
)
from tests.integration.notify.support import WebhookReceiver, serve_asgi, smtp_server
from tests.support.cloudevents_sdk import parse_record
from tests.support.events import assigned, support_added, support_removed
from tests.support.kafka import collect, eventually, produce_raw

pytestmark = pytest.mark.integration


def _support(complaint_id, code: str, lead: str, supporter: str, *, added: bool) -> Envelope:
    builder = support_added if added else support_removed
    reason = "Perlu alat berat dari dinas lain"
    return builder(complaint_id=complaint_id, tracking_code=code, lead_department=lead, department=supporter, reason=reason)


def _joint_complaint(lead: str, supporter: str, pseudonym: str) -> tuple[list[Envelope], list[Envelope]]:
    """A complaint's events in order, and those the supporting department should see."""
    complaint_id, code = uuid.uuid4(), tracking_code()
    reporter = ReporterRef(pseudonym=pseudonym, channels=("email",))

    def change(status: str, previous: str) -> Envelope:
        return status_changed(
            complaint_id=complaint_id, code=code, department=lead, status=status, previous=previous, reporter=reporter
        )

    officer_assigned = assigned(complaint_id=complaint_id, tracking_code=code, department=lead, officer="budi.petugas")
    before = [
        routed(department=lead, complaint_id=complaint_id, code=code, reporter=reporter),
        change("terverifikasi", "diterima"),
    ]
    joint = [
        _support(complaint_id, code, lead, supporter, added=True),
        change("dalam_proses", "terverifikasi"),
        officer_assigned,
        _support(complaint_id, code, lead, supporter, added=False),
    ]
    after = [change("selesai", "dalam_proses")]
    return before + joint + after, joint


async def test_supporting_departments_topic_carries_the_complaints_events_while_it_supports(
    infra, notify_pool, notify_database
):
    lead, supporter, other = random_department(), random_department(), random_department()
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    events, joint = _joint_complaint(lead, supporter, pseudonym)
    others = [routed(department=other), routed(department=supporter)]
    source_topic = f"test.notify.joint.{uuid.uuid4().hex}"
    incoming = with_submissions(events + others)
    await produce_raw(
        infra.kafka_bootstrap, source_topic, [(r.key, r.value, r.headers) for r in map(encode, incoming)]
    )
    prefix = f"test{uuid.uuid4().hex[:8]}."
    settings = notify_settings(infra, notify_database, kafka_topic_prefix=prefix)
    dead_letters = DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test-notify")
    [spec] = service_spec().consumers
    # What the service's consumer runs.
    consumer = events_consumer(
        infra, notify_pool, source_topic=source_topic, handlers=spec.handlers, dead_letters=dead_letters
    )
    relay = department_relay(infra, settings)
    topics = {code: prefix + department_topic(code) for code in (lead, supporter, other)}
    expected = {lead: events, supporter: joint + [others[1]], other: [others[0]]}
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    try:
        total = sum(len(envelopes) for envelopes in expected.values())

        # Not a pause to catch extras: once the consumer has handled every incoming event and
        # the relay has published every row it queued, nothing more can reach the topics, so
        # reading as many records as were published reads all there is.
        async def all_handled_and_published() -> int | None:
            handled = await notify_pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'notify.test'")
            queued = await notify_pool.fetchval("SELECT count(*) FROM outbox")
            unsent = await notify_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            done = handled >= len(incoming) and unsent == 0 and relay.published == queued
            return queued if done else None

        published = await eventually(all_handled_and_published, timeout_s=60)
        assert published == total
        records = await collect(
            infra.kafka_bootstrap, list(topics.values()), until=lambda kept: len(kept) >= published, timeout_s=60
        )
        assert len(records) == published
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await dead_letters.close()

    for code, topic in topics.items():
        parsed = [parse_record(record) for record in records if record.topic == topic]
        assert sorted(event["id"] for event in parsed) == sorted(str(envelope.id) for envelope in expected[code]), code
        # One complaint's events keep their order on every topic they are copied to.
        complaint = str(events[0].data.complaint_id)
        assert [event["id"] for event in parsed if event["subject"] == complaint] == [
            str(envelope.id) for envelope in expected[code] if envelope in events
        ]
        assert all(event["data"].get("reporter") is None for event in parsed)
    assert all(pseudonym.encode() not in record.value + repr(record.headers).encode() for record in records)
    # Notify remembers who supports the complaint: nobody, after the removal.
    lead_row = await notify_pool.fetchrow(
        "SELECT department, supporters FROM complaint_departments WHERE complaint_id = $1",
        events[0].data.complaint_id,
    )
    assert (lead_row["department"], list(lead_row["supporters"])) == (lead, [])


async def test_supporting_departments_webhook_and_admins_hear_about_the_complaint(infra, notify_pool, notify_database):
    lead, supporter, other = random_department(), random_department(), random_department()
    events, joint = _joint_complaint(lead, supporter, "Pelapor-" + uuid.uuid4().hex[:8].upper())
    marker = routed(department=other)  # shows the other department's webhook works
    receivers = {
        code: WebhookReceiver(secret=f"rahasia-{code}-" + uuid.uuid4().hex) for code in (lead, supporter, other)
    }
    async with (
        smtp_server() as smtp,
        serve_asgi(receivers[lead].app()) as lead_url,
        serve_asgi(receivers[supporter].app()) as supporter_url,
        serve_asgi(receivers[other].app()) as other_url,
    ):
        settings = mail_settings(infra, notify_database, smtp)
        async with notify_pool.acquire() as conn:
            for code, url in ((lead, lead_url), (supporter, supporter_url), (other, other_url)):
                await add_webhook(conn, settings, department=code, url=f"{url}/hook", secret=receivers[code].secret)
            await set_department_emails(
                conn=conn, department=supporter, emails=[f"admin.{supporter.lower()}@depok.go.id"]
            )
        async with running_dispatchers(settings, notify_pool):
            for envelope in events + [marker]:
                await handle(notify_pool, envelope)
            await eventually(
                lambda: (
                    len(receivers[lead].events) >= len(events)
                    and len(receivers[supporter].events) >= len(joint)
                    and receivers[other].events
                    and len(smtp.inbox.for_complaint(events[0].data.complaint_id)) >= 2
                ),
                timeout_s=60,
            )
            # Not a pause: wait until every delivery notify recorded for these complaints has
            # been sent (or given up on). A webhook is marked sent only once its receiver
            # answered, so anything sent where it should not go has arrived by then.
            complaints = [events[0].data.complaint_id, marker.data.complaint_id]

            async def all_settled() -> bool:
                unsettled = await notify_pool.fetchval(
                    "SELECT count(*) FROM notifications WHERE complaint_id = ANY($1::uuid[])"
                    " AND status IN ('pending', 'sending')",
                    complaints,
                )
                return unsettled == 0

            await eventually(all_settled, timeout_s=60)

    def ids(code: str) -> list[str]:
        return sorted(event["id"] for event in receivers[code].events)

    assert ids(lead) == sorted(str(envelope.id) for envelope in events)
    assert ids(supporter) == sorted(str(envelope.id) for envelope in joint)
    assert ids(other) == [str(marker.id)]
    assert all(receiver.bad_signatures == 0 for receiver in receivers.values())
    code = events[0].data.tracking_code
    subjects = sorted(m["Subject"] for m in smtp.inbox.for_complaint(events[0].data.complaint_id))
    assert subjects == sorted([f"Permintaan dukungan untuk laporan {code}", f"Dukungan untuk laporan {code} selesai"])
    added = next(m for m in smtp.inbox.for_complaint(events[0].data.complaint_id) if "Permintaan" in m["Subject"])
    assert added["To"] == f"admin.{supporter.lower()}@depok.go.id"
    assert lead in added.get_content() and "alat berat" in added.get_content()


async def test_supporters_topics_named_in_sql_match_the_domains_rule(notify_pool):
    """The topics of supporters notify already knows are derived in SQL; odd department codes
    must map to the same topic names as `department_topic`."""
    lead, odd = random_department(), "dinas lain/2." + uuid.uuid4().hex[:4]
    complaint_id, code = uuid.uuid4(), tracking_code()
    await handle(notify_pool, routed(department=lead, complaint_id=complaint_id, code=code))
    await handle(notify_pool, _support(complaint_id, code, lead, odd, added=True))
    later = status_changed(
        complaint_id=complaint_id, code=code, department=lead, status="terverifikasi", previous="diterima", reporter=None
    )
    await handle(notify_pool, later)
    rows = await notify_pool.fetch("SELECT topic FROM outbox WHERE event_id = $1", later.id)
    assert sorted(row["topic"] for row in rows) == sorted([department_topic(lead), department_topic(odd)])
