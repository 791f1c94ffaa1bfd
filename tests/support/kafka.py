"""Small helpers for reading and writing real Kafka topics in tests, with bounded waits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy
from aiokafka.structs import RecordMetadata

from sigap_shared.consumer import DeadLetterPublisher, EventConsumer


async def produce_raw(
    bootstrap: str,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes]]]],
    *,
    max_request_size: int = 1024 * 1024,
) -> None:
    """Send (key, value, headers) triples and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=max_request_size)
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
    finally:
        await producer.stop()


class _RawHeaderName(str):
    """A header name that goes on the wire as the bytes given, UTF-8 or not: aiokafka's
    pure-Python record builder asks each name to encode itself. Well-behaved clients only send
    UTF-8 names, but the broker stores whatever another client sends."""

    raw: bytes

    def __new__(cls, raw: bytes) -> "_RawHeaderName":
        name = super().__new__(cls, raw.decode("latin-1"))
        name.raw = raw
        return name

    def encode(self, *_args: object, **_kwargs: object) -> bytes:  # type: ignore[override]
        return self.raw


def raw_record_size(key: bytes | None, value: bytes | None, headers: Sequence[tuple[bytes, bytes | None]]) -> int:
    """What a record batch holding just this record weighs at most, as the broker's
    `max.message.bytes` counts it."""
    return _DefaultRecordBatchBuilderPy.estimate_size_in_bytes(
        key, value, [(_RawHeaderName(name), raw) for name, raw in headers]
    )


async def send_raw_record(
    producer: AIOKafkaProducer,
    topic: str,
    *,
    partition: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[bytes, bytes | None]],
) -> RecordMetadata:
    """Send one record as its own batch, with header names as raw bytes, and wait for the ack.
    The producer must not be idempotent (the hand-built batch carries no producer id)."""
    batch = producer.create_batch()
    # The compiled builder insists on str names; the pure-Python one writes what it is given.
    batch._builder = _DefaultRecordBatchBuilderPy(  # noqa: SLF001 - no public API sends raw header names
        2, 0, is_transactional=0, producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=2**31 - 1
    )
    batch.append(
        timestamp=None, key=key, value=value, headers=[(_RawHeaderName(name), raw) for name, raw in headers]
    )
    delivery = await producer.send_batch(batch, topic, partition=partition)
    return await delivery


async def collect(
    bootstrap: str,
    topics: Sequence[str],
    *,
    until: Callable[[list[ConsumerRecord]], bool],
    keep: Callable[[ConsumerRecord], bool] = lambda _record: True,
    timeout_s: float = 30.0,
    settle_s: float = 0.0,
) -> list[ConsumerRecord]:
    """Read `topics` from the beginning with a throwaway group until `until(kept)` holds
    (then keep reading `settle_s` more, to catch unwanted extras), or the timeout passes."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    kept: list[ConsumerRecord] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    settle_deadline: float | None = None
    try:
        while loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                kept.extend(record for record in records if keep(record))
            if settle_deadline is None and until(kept):
                settle_deadline = loop.time() + settle_s
            if settle_deadline is not None and loop.time() >= settle_deadline:
                break
    finally:
        await consumer.stop()
    return kept


async def eventually(check: Callable[[], object], *, timeout_s: float = 20.0, interval_s: float = 0.1):
    """Poll an async or sync check until it returns something truthy; return that value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: object = None
    while loop.time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last value: {last!r})")


def event_consumer(
    infra,
    pool,
    *,
    name: str,
    topics: list[str],
    handlers: dict,
    dead_letters: DeadLetterPublisher | None = None,
    group_id: str | None = None,
    **options,
) -> EventConsumer:
    """The shared library's consumer on the session's broker, in a consumer group of its own
    unless one is given, sending dead letters under the session's topic prefix."""
    return EventConsumer(
        name=name,
        topics=topics,
        handlers=handlers,
        pool=pool,
        bootstrap=infra.kafka_bootstrap,
        group_id=group_id or f"test-{uuid.uuid4().hex}",
        dead_letters=dead_letters
        or DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix),
        **options,
    )
