"""Department topics over real Kafka: events consumed by notify's handler are copied, redacted,
to `sigap.department.<CODE>` through notify's own outbox, and each department's topic holds
only its own complaints."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from sigap_notify.bootstrap import keep_department_topics
from sigap_notify.events.audience import department_topic
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_shared.consumer import BatchHandler, DeadLetterPublisher
from sigap_shared.events import ComplaintRouted, ComplaintStatusChanged, ComplaintSubmitted, ReporterRef, encode
from tests.integration.notify.conftest import (
    events_consumer,
    department_relay,
    lifecycle,
    notify_settings,
    random_department,
    routed,
    tracking_code,
    with_submissions,
)
from tests.support.cloudevents_sdk import parse_record
from tests.support.kafka import collect, eventually, produce_raw

pytestmark = pytest.mark.integration


def _complaint(department: str, pseudonym: str) -> list:
    complaint_id = uuid.uuid4()
    code = tracking_code()
    reporter = ReporterRef(pseudonym=pseudonym, channels=("email",))
    return [routed(department=department, complaint_id=complaint_id, code=code, reporter=reporter)] + lifecycle(
        complaint_id=complaint_id, code=code, department=department, reporter=reporter
    )[:2]


async def test_department_topics_carry_only_their_complaints_redacted(infra, notify_pool, notify_database):
    dept_a, dept_b = random_department(), random_department()
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    events_a = _complaint(dept_a, pseudonym) + _complaint(dept_a, pseudonym)
    events_b = _complaint(dept_b, pseudonym)
    source_topic = f"test.notify.source.{uuid.uuid4().hex}"
    await produce_raw(
        infra.kafka_bootstrap,
        source_topic,
        # Each complaint's submission first, as intake publishes it before anything else happens.
        [(r.key, r.value, r.headers) for r in map(encode, with_submissions(events_a + events_b))],
    )
    prefix = f"test{uuid.uuid4().hex[:8]}."  # as an isolated test session or benchmark would run
    settings = notify_settings(infra, notify_database, kafka_topic_partitions=3, kafka_topic_prefix=prefix)
    dead_letters = DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test-notify")
    handlers = {
        ComplaintSubmitted.event_type: BatchHandler(on_complaints_submitted),
        ComplaintRouted.event_type: on_complaint_event,
        ComplaintStatusChanged.event_type: on_complaint_event,
    }
    consumer = events_consumer(
        infra, notify_pool, source_topic=source_topic, handlers=handlers, dead_letters=dead_letters
    )
    relay = department_relay(infra, settings)
    topic_a, topic_b = prefix + department_topic(dept_a), prefix + department_topic(dept_b)
    tasks = [
        asyncio.create_task(consumer.run()),
        asyncio.create_task(keep_department_topics(settings, notify_pool, interval_s=0.5)),
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        # Topics are created by notify (with its partition count) once a department is seen;
        # the relay starts only then, so the broker's auto-creation cannot be what made them.
        async def created():
            return {topic_a, topic_b} <= set(await admin.list_topics())

        await eventually(created, timeout_s=60)
        described = await admin.describe_topics([topic_a, topic_b])
        assert [len(topic["partitions"]) for topic in described] == [3, 3]
        tasks.append(asyncio.create_task(relay.run()))
        await eventually(lambda: relay.published >= len(events_a) + len(events_b), timeout_s=60)
        records = await collect(
            infra.kafka_bootstrap,
            [topic_a, topic_b],
            until=lambda kept: len(kept) >= len(events_a) + len(events_b),
            settle_s=1.0,
            timeout_s=60,
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await dead_letters.close()
        await admin.close()

    by_topic = {topic_a: [], topic_b: []}
    for record in records:
        by_topic[record.topic].append(record)
    for topic, department, events in ((topic_a, dept_a, events_a), (topic_b, dept_b, events_b)):
        parsed = [parse_record(record) for record in by_topic[topic]]
        assert sorted(event["id"] for event in parsed) == sorted(str(envelope.id) for envelope in events)
        assert {event["data"]["department"] for event in parsed} == {department}
        assert {event["subject"] for event in parsed} == {str(envelope.data.complaint_id) for envelope in events}
        assert all(event["data"]["reporter"] is None for event in parsed)
        assert all(record.key == parse_record(record)["subject"].encode() for record in by_topic[topic])
    for record in records:
        assert pseudonym.encode() not in record.value + repr(record.headers).encode()
