"""Transactional outbox. `add_to_outbox` writes events in the caller's transaction and wakes
the relay through NOTIFY on commit; `OutboxRelay` publishes unsent rows in id order with an
idempotent producer and marks them sent only after the broker acknowledged them.

Exactly one relay per database publishes at a time (a session advisory lock), so id order is
publication order. While Kafka is down, rows simply wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from sigap_shared.db import TRANSIENT_DB_ERRORS
from sigap_shared.events import Envelope, encode, headers_from_json, headers_to_json
from sigap_shared.kafka import new_producer

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "sigap_outbox"
RELAY_LOCK_KEY = 0x5167A0  # one publishing relay per database


def queue_events_sql(first: int, *, when: str = "true") -> str:
    """The body of a data-modifying CTE that queues events, for a service that writes its own
    rows and its events in one statement: parameters $first..$first+4 are `outbox_columns()`,
    and `when` is a condition (e.g. "EXISTS (SELECT 1 FROM stored)") the events are queued on.
    The statement must also wake the relay: see `wake_relay_sql`."""
    return (
        "INSERT INTO outbox (event_id, topic, key, headers, payload)"
        f" SELECT * FROM unnest(${first}::uuid[], ${first + 1}::text[], ${first + 2}::bytea[],"
        f" ${first + 3}::jsonb[], ${first + 4}::bytea[]) WHERE {when}"
        " RETURNING 1"
    )


def wake_relay_sql(queued: str) -> str:
    """A scalar expression that wakes the relay on commit when the CTE `queued` queued anything."""
    return f"(SELECT count(*) FROM (SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM {queued} LIMIT 1) AS woken)"


def outbox_columns(envelopes: Sequence[Envelope]) -> list[list[object]]:
    records = [encode(envelope) for envelope in envelopes]
    return [
        [envelope.id for envelope in envelopes],
        [record.topic for record in records],
        [record.key for record in records],
        [headers_to_json(record.headers).decode() for record in records],
        [record.value for record in records],
    ]


_INSERT = f"WITH queued AS ({queue_events_sql(1)}) SELECT {wake_relay_sql('queued')}"


async def add_to_outbox(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    """Queue events for publication; they leave only if the caller's transaction commits."""
    if not envelopes:
        return
    await conn.execute(_INSERT, *outbox_columns(envelopes))


class OutboxRelay:
    def __init__(
        self,
        *,
        connect_kwargs: dict[str, object],
        bootstrap: str,
        client_id: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._connect_kwargs = connect_kwargs
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._producer_factory = producer_factory or (
            lambda: new_producer(bootstrap, client_id=client_id)
        )
        self._producer: AIOKafkaProducer | None = None
        self._topic_prefix = topic_prefix
        self.published = 0
        self.holds_lock = False

    async def run(self) -> None:
        """Run until cancelled, surviving database and broker outages."""
        delay = 0.2
        try:
            while True:
                try:
                    await self._run_with_connection()
                except TRANSIENT_DB_ERRORS as exc:
                    log.warning("outbox_relay_database_unavailable", error=repr(exc), retry_in_s=delay)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox_relay_crashed", retry_in_s=delay)
                self.holds_lock = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        finally:
            await self._discard_producer()

    async def _run_with_connection(self) -> None:
        # This connection only reads unsent rows and marks them sent. Losing a mark in a crash
        # means the row is published again, which every consumer's inbox absorbs, so its commits
        # need not wait for the WAL flush.
        settings = {**dict(self._connect_kwargs.get("server_settings") or {}), "synchronous_commit": "off"}  # type: ignore[call-overload]
        conn: asyncpg.Connection = await asyncpg.connect(
            **{**self._connect_kwargs, "server_settings": settings}, command_timeout=30
        )
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                await asyncio.sleep(self._poll_interval_s)
            self.holds_lock = True
            log.info("outbox_relay_started")
            wake = asyncio.Event()
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
            await self._publish_loop(conn, wake)
        finally:
            await conn.close(timeout=2)

    async def _publish_loop(self, conn: asyncpg.Connection, wake: asyncio.Event) -> None:
        kafka_delay = 0.2
        while True:
            # Clear before reading, so a commit that lands during the read wakes the next wait.
            wake.clear()
            rows = await conn.fetch(
                "SELECT id, topic, key, headers, payload FROM outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            if not rows:
                try:
                    await asyncio.wait_for(wake.wait(), self._poll_interval_s)
                except asyncio.TimeoutError:
                    pass
                continue
            try:
                await self._send(rows)
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                await self._discard_producer()
                log.warning(
                    "outbox_relay_kafka_unavailable",
                    error=repr(exc),
                    pending=len(rows),
                    retry_in_s=kafka_delay,
                )
                await asyncio.sleep(kafka_delay)
                kafka_delay = min(kafka_delay * 2, 5.0)
                continue
            kafka_delay = 0.2
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
            self.published += len(rows)

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        producer = await self._ensure_producer()
        deliveries = [
            await producer.send(
                self._topic_prefix + row["topic"],
                value=row["payload"],
                key=row["key"],
                headers=headers_from_json(row["headers"]),
            )
            for row in rows
        ]
        await asyncio.gather(*deliveries)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._producer_factory()
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _discard_producer(self) -> None:
        # A fresh producer after any failure: aiokafka's idempotent producer can stay wedged
        # after a fatal sequence error (aiokafka issue #1017).
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 10)
            except Exception as exc:  # noqa: BLE001 - closing a broken producer may fail in any way
                log.debug("outbox_producer_stop_failed", error=repr(exc))
