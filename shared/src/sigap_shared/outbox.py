"""Transactional outbox. `add_to_outbox`, the only writer, queues events in the caller's
transaction and wakes the relay through NOTIFY on commit; `OutboxRelay` publishes unsent rows
in id order with an idempotent producer and marks them sent only after the broker
acknowledged them.

Exactly one relay per database publishes at a time (a session advisory lock), so id order is
publication order. While Kafka is down, rows simply wait. A row the broker refuses for what it
is (too large, say) is parked with its error instead of blocking every row behind it; later
rows of the same key wait behind it, so one complaint's events never overtake each other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from sigap_shared.db import TRANSIENT_DB_ERRORS, Rows
from sigap_shared.erasure import payload_without_reporter
from sigap_shared.events import (
    Envelope,
    KafkaRecord,
    encode,
    encode_to_topic,
    headers_from_json,
    headers_to_json,
)
from sigap_shared.kafka import new_producer, refused_record
from sigap_shared.retry import Backoff

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "sigap_outbox"
RELAY_LOCK_KEY = 0x5167A0  # one publishing relay per database


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One event as the relay will publish it."""

    event_id: UUID
    topic: str
    key: bytes
    headers: Annotated[str, "jsonb"]  # the Kafka headers as JSON text (`headers_to_json`)
    payload: bytes

    @classmethod
    def of(cls, envelope: Envelope, *, topic: str | None = None) -> OutboxRow:
        """The event for its own topic, or for `topic` (a department's, say) in the same format."""
        return cls.of_record(envelope.id, encode(envelope) if topic is None else encode_to_topic(envelope, topic))

    @classmethod
    def of_record(cls, event_id: UUID, record: KafkaRecord) -> OutboxRow:
        return cls(
            event_id=event_id,
            topic=record.topic,
            key=record.key,
            headers=headers_to_json(record.headers).decode(),
            payload=record.value,
        )


_ROWS = Rows(OutboxRow)
# An event already queued for a topic is not queued again; the relay wakes on commit when
# anything was queued.
_INSERT = f"""
WITH queued AS (
    INSERT INTO outbox ({", ".join(_ROWS.names)})
    SELECT {", ".join(_ROWS.names)} FROM {_ROWS.unnest} ORDER BY position
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM (SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM queued LIMIT 1) AS woken
"""


async def add_to_outbox(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope] = (), rows: Sequence[OutboxRow] = ()
) -> None:
    """The one way an event reaches the outbox: queue `envelopes` (each for its own topic) and
    then `rows` (prepared with `OutboxRow`), in that order. They leave only if the caller's
    transaction commits, which wakes the relay."""
    queued = [*(OutboxRow.of(envelope) for envelope in envelopes), *rows]
    if queued:
        await conn.execute(_INSERT, *_ROWS.params(queued))


async def drop_reporter_from_outbox(*, conn: asyncpg.Connection, complaint_id: UUID) -> int:
    """Rewrite the complaint's outbox rows, sent or waiting, without the reporter's pseudonym
    and channels (an erasure of the reporter's personal data, UU 27/2022): a waiting event then
    leaves without them. Returns how many rows changed. Rows are keyed by complaint id."""
    rows = await conn.fetch(
        "SELECT id, payload FROM outbox WHERE key = $1 AND position('\"reporter\"'::bytea IN payload) > 0 FOR UPDATE",
        str(complaint_id).encode(),
    )
    changed = [(row["id"], payload) for row in rows if (payload := payload_without_reporter(row["payload"]))]
    if changed:
        await conn.executemany("UPDATE outbox SET payload = $2 WHERE id = $1", changed)
    return len(changed)


# Parked rows (normally none) and the rows of the same key waiting behind them.
_PARKED = "parked.parked_at IS NOT NULL AND parked.sent_at IS NULL"
_BEHIND_PARKED = (
    f"EXISTS (SELECT 1 FROM outbox AS parked WHERE {_PARKED}"
    " AND parked.key = waiting.key AND parked.id < waiting.id)"
)
_UNSENT = (
    "SELECT id, event_id, topic, key, headers, payload FROM outbox AS waiting"
    f" WHERE sent_at IS NULL AND parked_at IS NULL AND NOT {_BEHIND_PARKED}"
    " ORDER BY id LIMIT $1"
)

# The outcome of a row not sent because an earlier row of its key was just refused.
HELD = "held"


async def parked_counts(*, conn: asyncpg.Connection) -> dict[str, int]:
    """How many rows the broker refused (parked) and how many rows wait behind them."""
    parked = await conn.fetchval(f"SELECT count(*) FROM outbox AS parked WHERE {_PARKED}")
    held = 0
    if parked:
        held = await conn.fetchval(
            f"SELECT count(*) FROM outbox AS waiting WHERE sent_at IS NULL AND parked_at IS NULL AND {_BEHIND_PARKED}"
        )
    return {"parked": parked, "held": held}


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
        self._restarts = Backoff()  # connecting to the database
        self._sends = Backoff()  # publishing the rows at hand
        self.published = 0
        self.parked = 0
        self.holds_lock = False

    def stuck(self, *, after_s: float) -> str | None:
        """Why the relay counts as stuck (the rows at hand, or its database connection, unfinished
        for longer than `after_s`), else None."""
        return self._sends.stuck(after_s=after_s) or self._restarts.stuck(after_s=after_s)

    async def run(self) -> None:
        """Run until cancelled, surviving database and broker outages."""
        try:
            while True:
                try:
                    await self._run_with_connection()
                except TRANSIENT_DB_ERRORS as exc:
                    delay = self._restarts.failed(exc)
                    log.warning("outbox_relay_database_unavailable", error=repr(exc), retry_in_s=delay)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    delay = self._restarts.failed(exc)
                    log.exception("outbox_relay_crashed", retry_in_s=delay)
                self.holds_lock = False
                await asyncio.sleep(delay)
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
            self._restarts.succeeded()
            log.info("outbox_relay_started")
            wake = asyncio.Event()
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
            await self._publish_loop(conn, wake)
        finally:
            await conn.close(timeout=2)

    async def _publish_loop(self, conn: asyncpg.Connection, wake: asyncio.Event) -> None:
        while True:
            # Clear before reading, so a commit that lands during the read wakes the next wait.
            wake.clear()
            rows = await conn.fetch(_UNSENT, self._batch_size)
            if not rows:
                try:
                    await asyncio.wait_for(wake.wait(), self._poll_interval_s)
                except asyncio.TimeoutError:
                    pass
                continue
            self._sends.begin()
            try:
                outcomes = await self._send(rows)
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                await self._discard_producer()
                await self._wait_for_kafka(exc, pending=len(rows))
                continue
            await self._mark_sent(conn, [row for row, outcome in zip(rows, outcomes, strict=True) if outcome is None])
            failed = [row for row, outcome in zip(rows, outcomes, strict=True) if isinstance(outcome, BaseException)]
            if failed:
                await self._discard_producer()
                error = await self._send_one_by_one(conn, failed)
                if error is not None:
                    await self._wait_for_kafka(error, pending=len(failed))
                    continue
            self._sends.succeeded()

    async def _wait_for_kafka(self, error: BaseException, *, pending: int) -> None:
        delay = self._sends.failed(error)
        log.warning("outbox_relay_kafka_unavailable", error=repr(error), pending=pending, retry_in_s=delay)
        await asyncio.sleep(delay)

    async def _send(self, rows: Sequence[asyncpg.Record]) -> list[BaseException | str | None]:
        """Send the rows; for each, None once acknowledged, else its error, or HELD when an
        earlier row of its key was refused. An error that is not a refusal is raised."""
        producer = await self._ensure_producer()
        queued: list[asyncio.Future | BaseException | str] = []
        refused_keys: set[bytes] = set()
        for row in rows:
            if row["key"] in refused_keys:
                queued.append(HELD)
                continue
            try:
                queued.append(await self._queue(producer, row))
            except KafkaError as exc:
                if not refused_record(exc):
                    raise
                refused_keys.add(row["key"])
                queued.append(exc)
        delivered = iter(
            await asyncio.gather(*(item for item in queued if isinstance(item, asyncio.Future)), return_exceptions=True)
        )
        outcomes: list[BaseException | str | None] = []
        for item in queued:
            if isinstance(item, asyncio.Future):
                result = next(delivered)
                outcomes.append(result if isinstance(result, BaseException) else None)
            else:
                outcomes.append(item)
        return outcomes

    async def _send_one_by_one(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> BaseException | None:
        """Send rows that failed in a batch again, each on its own: the broker refuses a whole
        batch for one record in it, so only a row refused alone is parked (and later rows of its
        key stay behind it). Returns the error that stopped the round when the broker seems
        away, else None."""
        parked_keys: set[bytes] = set()
        for row in rows:
            if row["key"] in parked_keys:
                continue
            try:
                await (await self._queue(await self._ensure_producer(), row))
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                await self._discard_producer()
                if not refused_record(exc):
                    return exc
                await self._park(conn, row, exc)
                parked_keys.add(row["key"])
                continue
            await self._mark_sent(conn, [row])
        return None

    async def _queue(self, producer: AIOKafkaProducer, row: asyncpg.Record) -> asyncio.Future:
        return await producer.send(
            self._topic_prefix + row["topic"],
            value=row["payload"],
            key=row["key"],
            headers=headers_from_json(row["headers"]),
        )

    async def _mark_sent(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> None:
        if not rows:
            return
        await conn.execute(
            "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
        )
        self.published += len(rows)

    async def _park(self, conn: asyncpg.Connection, row: asyncpg.Record, error: BaseException) -> None:
        await conn.execute(
            "UPDATE outbox SET parked_at = now(), failures = failures + 1, last_error = $2 WHERE id = $1",
            row["id"],
            repr(error)[:2000],
        )
        self.parked += 1
        log.error(
            "outbox_row_parked",
            outbox_id=row["id"],
            event_id=str(row["event_id"]),
            topic=row["topic"],
            size=len(row["payload"]),
            error=repr(error),
        )

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
