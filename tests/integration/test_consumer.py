"""Idempotent consumption and dead-lettering against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.events import TOPIC_DEAD_LETTER, ComplaintSubmitted, Envelope, encode
from tests.support.cloudevents_sdk import parse_record
from tests.support.factories import submitted_envelope
from tests.support.kafka import collect, event_consumer, eventually, produce_raw, send_raw_record

pytestmark = pytest.mark.integration


@pytest.fixture
async def effects_pool(messaging_pool: asyncpg.Pool) -> asyncpg.Pool:
    await messaging_pool.execute(
        "CREATE TABLE effects (id bigserial PRIMARY KEY, complaint_id uuid NOT NULL, description text)"
    )
    return messaging_pool


def _wire(envelope: Envelope) -> tuple[bytes, bytes, tuple[tuple[str, bytes], ...]]:
    record = encode(envelope)
    return record.key, record.value, record.headers


async def _record_effect(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    data = envelope.data
    assert isinstance(data, ComplaintSubmitted)
    if "GAGAL" in data.description:
        raise RuntimeError("handler cannot process this complaint")
    await conn.execute(
        "INSERT INTO effects (complaint_id, description) VALUES ($1, $2)", data.complaint_id, data.description
    )


def _consumer(
    infra, pool: asyncpg.Pool, topic: str, *, group_id: str | None = None, commit_interval_s: float = 1.0
) -> tuple[EventConsumer, DeadLetterPublisher]:
    dead_letters = DeadLetterPublisher(
        bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix
    )
    consumer = event_consumer(
        infra,
        pool,
        name="test.effects",
        topics=[topic],
        handlers={ComplaintSubmitted.event_type: _record_effect},
        group_id=group_id,
        dead_letters=dead_letters,
        max_attempts=2,
        retry_delay_s=0.05,
        commit_interval_s=commit_interval_s,
    )
    return consumer, dead_letters


async def _count_effects(pool: asyncpg.Pool, complaint_id: uuid.UUID) -> int:
    return await pool.fetchval("SELECT count(*) FROM effects WHERE complaint_id = $1", complaint_id)


async def _consume_until(infra, pool: asyncpg.Pool, topic: str, *, handled: Envelope, dead_letters: int) -> None:
    """Run a consumer until `handled` has its effect and `dead_letters` letters went out."""
    consumer, publisher = _consumer(infra, pool, topic)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _count_effects(pool, handled.data.complaint_id), timeout_s=30)
        await eventually(lambda: publisher.published >= dead_letters, timeout_s=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publisher.close()


async def _letters_about(infra, topic: str, count: int) -> list:
    """The dead letters of messages from `topic` (and, for a while, any extra one)."""
    return await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_DEAD_LETTER)],
        keep=lambda record: orjson.loads(record.value)["original_topic"] == topic,
        until=lambda kept: len(kept) >= count,
        settle_s=0.5,
    )


async def test_event_delivered_twice_has_one_effect(infra, effects_pool):
    topic = f"test.consumer.{uuid.uuid4().hex}"
    envelope = submitted_envelope()
    marker = submitted_envelope()
    # The same event twice (a redelivery), then a marker event that tells us both were read.
    await produce_raw(infra.kafka_bootstrap, topic, [_wire(envelope), _wire(envelope), _wire(marker)])
    consumer, dead_letters = _consumer(infra, effects_pool, topic)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _count_effects(effects_pool, marker.data.complaint_id), timeout_s=30)
        assert await _count_effects(effects_pool, envelope.data.complaint_id) == 1
        assert await effects_pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 1
        assert (consumer.handled, consumer.duplicates) == (2, 1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()

    # A restarted consumer in the same group that is handed the event again changes nothing.
    await produce_raw(infra.kafka_bootstrap, topic, [_wire(envelope)])
    again, dead_letters = _consumer(infra, effects_pool, topic)
    task = asyncio.create_task(again.run())
    try:
        await eventually(lambda: again.duplicates >= 1, timeout_s=30)
        assert await _count_effects(effects_pool, envelope.data.complaint_id) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()


async def test_poison_messages_go_to_dead_letter_topic_and_the_next_message_is_processed(infra, effects_pool):
    topic = f"test.consumer.{uuid.uuid4().hex}"
    failing = submitted_envelope()
    failing = Envelope(
        source=failing.source,
        data=failing.data.model_copy(update={"description": "GAGAL: handler always raises"}),
    )
    valid_headers = list(encode(submitted_envelope()).headers)
    after = submitted_envelope()
    await produce_raw(
        infra.kafka_bootstrap,
        topic,
        [
            (b"garbage-key", b"\xff\xfe not json at all", []),
            (b"bad-payload", b'{"complaint_id": "not-a-uuid"}', valid_headers),
            _wire(failing),
            _wire(after),
        ],
    )
    await _consume_until(infra, effects_pool, topic, handled=after, dead_letters=3)
    letters = await _letters_about(infra, topic, 3)
    assert len(letters) == 3
    by_key = {body["original_key"]: body for body in (orjson.loads(r.value) for r in letters)}
    assert "missing CloudEvents attributes" in by_key["garbage-key"]["error"]
    assert by_key["garbage-key"]["original_value_encoding"] == "base64"
    assert "invalid sigap.complaint.submitted.v1 payload" in by_key["bad-payload"]["error"]
    handler_failure = by_key[str(failing.data.complaint_id)]
    assert "handler failed 2 times" in handler_failure["error"]
    assert "handler cannot process this complaint" in handler_failure["error"]
    for letter in letters:
        event = parse_record(letter)
        assert event["type"] == "sigap.deadletter.v1"
        assert event["data"]["consumer"] == "test.effects"
    assert await _count_effects(effects_pool, failing.data.complaint_id) == 0
    assert await _count_effects(effects_pool, after.data.complaint_id) == 1


async def _committed(infra, group_id: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return sum(meta.offset for partition, meta in offsets.items() if partition.topic == topic)


async def test_offsets_are_committed_at_the_interval_and_on_stop_and_a_restart_reads_on_from_there(
    infra, effects_pool
):
    topic = f"test.consumer.{uuid.uuid4().hex}"
    group_id = f"test-{uuid.uuid4().hex}"
    first = [submitted_envelope() for _ in range(3)]
    await produce_raw(infra.kafka_bootstrap, topic, [_wire(envelope) for envelope in first])
    consumer, dead_letters = _consumer(infra, effects_pool, topic, group_id=group_id, commit_interval_s=0.3)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: consumer.handled >= 3, timeout_s=30)
        # Committed within the interval (plus one idle poll), without stopping the consumer.
        assert await eventually(lambda: _at_least(infra, group_id, topic, 3), timeout_s=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()

    # A long interval: nothing is due during the run, so only the commit on stop records it.
    later = submitted_envelope()
    await produce_raw(infra.kafka_bootstrap, topic, [_wire(later)])
    again, dead_letters = _consumer(infra, effects_pool, topic, group_id=group_id, commit_interval_s=3600)
    task = asyncio.create_task(again.run())
    try:
        await eventually(lambda: again.handled >= 1, timeout_s=30)
        assert again.duplicates == 0  # it read on from the committed offsets, not from the start
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()
    assert await _committed(infra, group_id, topic) == 4
    assert await _count_effects(effects_pool, later.data.complaint_id) == 1


async def _at_least(infra, group_id: str, topic: str, wanted: int) -> bool:
    return await _committed(infra, group_id, topic) >= wanted


async def test_an_oversized_binary_message_is_dead_lettered_by_reference_and_the_next_event_is_handled(
    infra, effects_pool
):
    # ~900 KB of binary data fits the broker's limit (about 1 MB, the default of every Sigap
    # topic) but not once embedded in a dead letter as base64.
    topic = f"test.consumer.{uuid.uuid4().hex}"
    huge = os.urandom(900 * 1024)
    after = submitted_envelope()
    same_partition = encode(after).key  # the poison message sits right before the valid event
    await produce_raw(
        infra.kafka_bootstrap,
        topic,
        [(same_partition, huge, [("x-binary", b"\xff\xfe\x00"), ("x-big", b"h" * 50_000)]), _wire(after)],
        max_request_size=2 * 1024 * 1024,
    )
    await _consume_until(infra, effects_pool, topic, handled=after, dead_letters=1)
    letters = await _letters_about(infra, topic, 1)
    assert len(letters) == 1
    assert len(letters[0].value) < 64 * 1024
    body = parse_record(letters[0])["data"]
    assert body["original_value_size"] == len(huge)
    assert body["original_value_sha256"] == hashlib.sha256(huge).hexdigest()
    assert body["original_value_encoding"] == "base64"
    prefix = base64.b64decode(body["original_value"])
    assert 0 < len(prefix) < len(huge) and huge.startswith(prefix)
    assert "value" in body["truncated"] and "headers" in body["truncated"]
    assert body["original_headers"]["x-binary"] == "\ufffd\ufffd\x00"
    assert len(body["original_headers"]["x-big"]) < 50_000


async def test_a_record_the_kafka_client_cannot_parse_is_dead_lettered_by_reference_and_its_partition_reads_on(
    infra, effects_pool
):
    # A header name that is not UTF-8 (another client's bug): aiokafka fails to parse the
    # record, and a consumer that only restarted would meet it again forever.
    topic = f"test.consumer.{uuid.uuid4().hex}"
    before, after = submitted_envelope(), submitted_envelope()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        for envelope in (before, None, after):
            key, value, headers = _wire(envelope) if envelope else (b"k", b"v", ((b"\xff\xfe", b"x"),))
            sent = await send_raw_record(
                producer,
                topic,
                partition=0,
                key=key,
                value=value,
                headers=[(name.encode() if isinstance(name, str) else name, raw) for name, raw in headers],
            )
            if envelope is None:
                unreadable_offset = sent.offset
    finally:
        await producer.stop()
    await _consume_until(infra, effects_pool, topic, handled=after, dead_letters=1)
    assert await _count_effects(effects_pool, before.data.complaint_id) == 1
    letters = await _letters_about(infra, topic, 1)
    assert len(letters) == 1
    body = orjson.loads(letters[0].value)
    assert (body["original_partition"], body["original_offset"]) == (0, unreadable_offset)
    assert "UnicodeDecodeError" in body["error"]
