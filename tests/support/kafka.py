"""Small helpers for reading and writing real Kafka topics in tests, with bounded waits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


async def produce_raw(
    bootstrap: str,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes]]]],
) -> None:
    """Send (key, value, headers) triples and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
    finally:
        await producer.stop()


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
