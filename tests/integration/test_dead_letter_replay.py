"""Replaying dead letters (python -m sigap_shared.replay) against real Kafka and PostgreSQL: an
event whose handler failed is dead-lettered; once the handler is fixed, the replay sends the
original back to its topic and the consumer that failed handles it, once. Another consumer of
the same topic, which handled the event the first time, does not handle it again, and a second
replay changes nothing. A dry run publishes nothing; letters of other consumers stay put."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import uuid

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.events import ComplaintSubmitted, Envelope, encode
from sigap_shared.replay import replay, topic_partitions
from tests.support.factories import submitted_envelope
from tests.support.kafka import eventually, produce_raw

pytestmark = pytest.mark.integration


class Handler:
    """Records each complaint it handles in `table`; fails on "GAGAL" while `broken`."""

    def __init__(self, table: str, *, broken: bool) -> None:
        self.table = table
        self.broken = broken

    async def __call__(self, *, conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = envelope.data
        assert isinstance(data, ComplaintSubmitted)
        if self.broken and "GAGAL" in data.description:
            raise RuntimeError("handler cannot process this complaint yet")
        await conn.execute(f"INSERT INTO {self.table} (complaint_id) VALUES ($1)", data.complaint_id)


async def _count(pool: asyncpg.Pool, table: str, complaint_id: uuid.UUID) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM {table} WHERE complaint_id = $1", complaint_id)


async def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, topic)
        assert partitions, topic
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


def _wire(envelope: Envelope):
    record = encode(envelope)
    return record.key, record.value, record.headers


async def test_a_replayed_dead_letter_is_handled_once_by_the_consumer_that_failed(infra, messaging_pool):
    pool = messaging_pool
    await pool.execute("CREATE TABLE failing_effects (complaint_id uuid NOT NULL)")
    await pool.execute("CREATE TABLE other_effects (complaint_id uuid NOT NULL)")
    topic = f"test.replay.{uuid.uuid4().hex}"
    name = f"test.replay_{uuid.uuid4().hex[:8]}"
    failing_handler = Handler("failing_effects", broken=True)
    publisher = DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix)

    def consumer(consumer_name: str, handler: Handler, group: str) -> EventConsumer:
        return EventConsumer(
            name=consumer_name,
            topics=[topic],
            handlers={ComplaintSubmitted.event_type: handler},
            pool=pool,
            bootstrap=infra.kafka_bootstrap,
            group_id=group,
            dead_letters=publisher,
            max_attempts=2,
            retry_delay_s=0.05,
            commit_interval_s=0,
        )

    failing = consumer(name, failing_handler, f"{name}.failing")
    other = consumer(f"{name}.other", Handler("other_effects", broken=False), f"{name}.other")
    plain = submitted_envelope()
    failed = dataclasses.replace(plain, data=plain.data.model_copy(update={"description": "GAGAL diproses: lampu mati"}))
    fine = submitted_envelope()
    # The topic exists before the consumers subscribe, or they would wait for a metadata refresh.
    await produce_raw(infra.kafka_bootstrap, topic, [_wire(failed), _wire(fine)])
    tasks = [asyncio.create_task(failing.run()), asyncio.create_task(other.run())]
    try:
        await eventually(lambda: _count(pool, "failing_effects", fine.data.complaint_id), timeout_s=30)
        await eventually(lambda: _count(pool, "other_effects", fine.data.complaint_id), timeout_s=30)
        await eventually(lambda: failing.dead_lettered == 1, timeout_s=30)
        assert await _count(pool, "failing_effects", failed.data.complaint_id) == 0
        assert await _count(pool, "other_effects", failed.data.complaint_id) == 1

        failing_handler.broken = False  # the fix is deployed
        before = await _end_offset(infra.kafka_bootstrap, topic)
        dry = await replay(
            bootstrap=infra.kafka_bootstrap, consumer_name=name, topic_prefix=infra.topic_prefix, dry_run=True
        )
        assert (dry.replayed, dry.lost) == (1, 0)
        assert await _end_offset(infra.kafka_bootstrap, topic) == before

        # The command itself, as an operator runs it.
        env = {
            **os.environ,
            "SIGAP_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "SIGAP_KAFKA_TOPIC_PREFIX": infra.topic_prefix,
        }
        command = [sys.executable, "-m", "sigap_shared.replay", "--consumer", name]
        ran = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stderr
        assert orjson.loads(ran.stdout.splitlines()[-1])["replayed"] == 1, ran.stdout
        assert await _end_offset(infra.kafka_bootstrap, topic) == before + 1
        await eventually(lambda: _count(pool, "failing_effects", failed.data.complaint_id), timeout_s=30)

        # Replayed again: still one effect each. A marker event behind it says both consumers
        # have read past the second replay.
        again = await replay(bootstrap=infra.kafka_bootstrap, consumer_name=name, topic_prefix=infra.topic_prefix)
        assert again.replayed == 1
        marker = submitted_envelope()
        await produce_raw(infra.kafka_bootstrap, topic, [_wire(marker)])
        await eventually(lambda: _count(pool, "failing_effects", marker.data.complaint_id), timeout_s=30)
        await eventually(lambda: _count(pool, "other_effects", marker.data.complaint_id), timeout_s=30)
        assert await _count(pool, "failing_effects", failed.data.complaint_id) == 1
        assert await _count(pool, "other_effects", failed.data.complaint_id) == 1
        assert failing.dead_lettered == 1

        nobody = await replay(
            bootstrap=infra.kafka_bootstrap, consumer_name=f"{name}.nobody", topic_prefix=infra.topic_prefix
        )
        assert nobody.replayed == 0 and nobody.skipped >= 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await publisher.close()
