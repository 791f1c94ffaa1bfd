"""The operator's command (`sigap-ops`) against the real Kafka: `lag` reports a consumer group's
committed and end offsets per partition; `deadletters list|show|replay` finds a dead letter,
prints it whole and sends its original back to the original topic, read back from there."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sigap_shared.events import TOPIC_DEAD_LETTER, DeadLetter
from sigap_shared.ops import consumer_lag
from tests.support.infra import random_name

pytestmark = pytest.mark.integration


async def _ops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sigap_shared.ops", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


async def _send(bootstrap: str, topic: str, values: list[bytes], *, partition: int = 0, key: bytes | None = None):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        return [await producer.send_and_wait(topic, value=value, key=key, partition=partition) for value in values]
    finally:
        await producer.stop()


async def _read(bootstrap: str, tp: TopicPartition, offset: int):
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, offset)
        records = (await consumer.getmany(tp, timeout_ms=10000, max_records=1)).get(tp, [])
        assert records, f"nothing at {tp} offset {offset}"
        return records[0]
    finally:
        await consumer.stop()


async def test_lag_reports_committed_and_end_offsets_of_each_group_per_partition(infra):
    topic = infra.topic(f"ops.lag.{uuid.uuid4().hex}")
    group_prefix = random_name("opslag")
    group = f"{group_prefix}.routing.submitted"
    await _send(infra.kafka_bootstrap, topic, [b"satu", b"dua", b"tiga", b"empat", b"lima"], partition=0)
    tp = TopicPartition(topic, 0)
    committer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign([tp])
        await committer.commit({tp: 2})
    finally:
        await committer.stop()

    rows = await consumer_lag(bootstrap=infra.kafka_bootstrap, group_prefix=group_prefix)
    assert [(r.group, r.topic, r.partition, r.committed, r.end, r.lag) for r in rows] == [(group, topic, 0, 2, 5, 3)]

    ran = await _ops({"SIGAP_KAFKA_BOOTSTRAP": infra.kafka_bootstrap}, "lag", "--group-prefix", group_prefix)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0].split() == ["group", "topic", "partition", "committed", "end", "lag"]
    assert ran.stdout.splitlines()[1].split() == [group, topic, "0", "2", "5", "3"]
    assert ran.stdout.splitlines()[-1] == "total lag: 3"

    # The variable the services read names the groups too.
    ran = await _ops({"SIGAP_KAFKA_BOOTSTRAP": infra.kafka_bootstrap, "SIGAP_KAFKA_GROUP_PREFIX": group_prefix}, "lag")
    assert group in ran.stdout


async def test_a_dead_letter_is_listed_shown_and_replayed_to_its_original_topic(infra):
    topic_prefix = f"{infra.topic_prefix}ops{uuid.uuid4().hex[:8]}."
    env = {"SIGAP_KAFKA_BOOTSTRAP": infra.kafka_bootstrap, "SIGAP_KAFKA_TOPIC_PREFIX": topic_prefix}
    original_topic = f"{topic_prefix}sigap.complaint.submitted"
    value = orjson.dumps({"complaint_id": str(uuid.uuid4()), "description": "Lampu PJU mati"})
    (sent,) = await _send(infra.kafka_bootstrap, original_topic, [value], key=b"complaint-1")
    letter = DeadLetter(
        consumer="routing.submitted",
        error="RuntimeError: classifier not loaded\nTraceback ...",
        original_topic=original_topic,
        original_partition=sent.partition,
        original_offset=sent.offset,
        original_value_size=len(value),
        original_value_sha256=hashlib.sha256(value).hexdigest(),
    )
    other = letter.model_copy(update={"consumer": "status.lifecycle", "error": "ValueError: something else"})
    dead_letter_topic = topic_prefix + TOPIC_DEAD_LETTER
    stored = await _send(
        infra.kafka_bootstrap, dead_letter_topic, [letter.model_dump_json().encode(), other.model_dump_json().encode()]
    )
    letter_id = f"{stored[0].partition}:{stored[0].offset}"

    listed = await _ops(env, "deadletters", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["letter", "written", "consumer", "original"]
    mine = [line for line in lines if line.startswith(f"{letter_id} ")]
    assert len(mine) == 1
    assert "routing.submitted" in mine[0]
    assert f"{original_topic}:{sent.partition}:{sent.offset}" in mine[0]
    assert "RuntimeError: classifier not loaded" in mine[0] and "Traceback" not in mine[0]
    assert "2 letter(s)" in lines[-1]
    only = await _ops(env, "deadletters", "list", "--consumer", "status.lifecycle")
    assert "status.lifecycle" in only.stdout and "routing.submitted" not in only.stdout

    shown = await _ops(env, "deadletters", "show", letter_id)
    assert shown.returncode == 0, shown.stderr
    whole = orjson.loads(shown.stdout)
    assert whole["letter"] == letter_id
    assert whole["error"] == letter.error
    assert whole["original_offset"] == sent.offset
    missing = await _ops(env, "deadletters", "show", "0:999999")
    assert missing.returncode == 1 and "no letter 0:999999" in missing.stderr

    tp = TopicPartition(original_topic, sent.partition)
    replayed = await _ops(env, "deadletters", "replay", "--consumer", "routing.submitted", letter_id)
    assert replayed.returncode == 0, replayed.stderr
    assert orjson.loads(replayed.stdout.splitlines()[-1])["replayed"] == 1
    back = await _read(infra.kafka_bootstrap, tp, sent.offset + 1)
    assert (back.key, back.value) == (b"complaint-1", value)
