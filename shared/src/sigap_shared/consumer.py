"""Idempotent Kafka consumers. Each event id is claimed in the inbox in the same transaction
as the handler's writes, and offsets are committed only after that transaction commits, so a
redelivered event has no second effect. A message that cannot be decoded, or whose handler
keeps failing, goes to the dead-letter topic with the error attached and the consumer goes on;
so does a record the Kafka client cannot even parse (by reference). A database outage is not
the message's fault: those are retried until the database returns. A consumer knows how far
behind it is and since when it has made no progress, which readiness reports (`stalled`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, CorruptRecordException, KafkaError

from sigap_shared.db import TRANSIENT_DB_ERRORS
from sigap_shared.dead_letters import DeadLetterPublisher, unreadable
from sigap_shared.events import Envelope, EventDecodeError, decode
from sigap_shared.retry import Backoff, overdue
from sigap_shared.tracing import consumer_span, consumer_spans

log = structlog.get_logger(__name__)

__all__ = ["BatchHandler", "DeadLetterPublisher", "EventConsumer", "claim_events", "distinct_complaint_runs"]

# What aiokafka raises while parsing a record it cannot read (a header name that is not UTF-8,
# say): the record is at fault, not the broker, and only stepping over it helps.
UNREADABLE_RECORD_ERRORS: tuple[type[BaseException], ...] = (ValueError, CorruptRecordException)


class _Assignment(ConsumerRebalanceListener):
    """Keeps, for every partition assigned, the offset of its next unprocessed record (its
    position when assigned, then past what was processed), and tells readiness once the
    consumer holds partitions with their starting positions resolved."""

    def __init__(self, consumer: AIOKafkaConsumer, next_offsets: dict[TopicPartition, int], assigned: asyncio.Event):
        self._consumer = consumer
        self._next_offsets = next_offsets
        self._assigned = assigned

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        for partition in revoked:
            self._next_offsets.pop(partition, None)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        # Resolved before readiness is declared, so an event produced after /readyz answers
        # 200 is never skipped by a "latest" reset.
        for partition in assigned:
            self._next_offsets[partition] = await self._consumer.position(partition)
        if assigned:
            self._assigned.set()

Handler = Callable[..., Awaitable[None]]
"""`async def handler(*, conn: asyncpg.Connection, envelope: Envelope) -> None`

A handler may also have `async def handle_batch(*, conn, envelopes: Sequence[Envelope])`: the
batch path then hands it every fresh event of a poll that follows one another with its type at
once (same transaction, same order), so it can write them all with one statement."""


class BatchHandler:
    """A handler made from `async def handle(*, conn, envelopes)`, which handles several events
    of its type at once: the consumer's batch path passes it each run of consecutive fresh
    events; a single event (the per-message fallback) is a run of one."""

    def __init__(self, handle_batch: Callable[..., Awaitable[None]]) -> None:
        self.handle_batch = handle_batch

    async def __call__(self, *, conn: asyncpg.Connection, envelope: Envelope) -> None:
        await self.handle_batch(conn=conn, envelopes=[envelope])


def distinct_complaint_runs(envelopes: Sequence[Envelope]) -> list[list[Envelope]]:
    """Split a batch, in order, into consecutive runs in which no complaint appears twice: one
    statement can then write each complaint's row at most once, and a later event of the same
    complaint sees the earlier one's effect."""
    runs: list[list[Envelope]] = [[]]
    seen: set[UUID] = set()
    for envelope in envelopes:
        complaint_id = envelope.data.complaint_id
        if complaint_id in seen:
            runs.append([])
            seen = set()
        runs[-1].append(envelope)
        seen.add(complaint_id)
    return [run for run in runs if run]


async def claim_events(*, conn: asyncpg.Connection, consumer: str, envelopes: Sequence[Envelope]) -> set[UUID]:
    """Claim events in the inbox, in one statement: the ids this consumer sees for the first
    time (a redelivery, or the same event twice in one batch, is claimed once)."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, event_id, event_type)"
        " SELECT $1, event_id, event_type FROM unnest($2::uuid[], $3::text[]) AS e(event_id, event_type)"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        [envelope.id for envelope in envelopes],
        [envelope.type for envelope in envelopes],
    )
    return {row["event_id"] for row in rows}


class EventConsumer:
    """Consumes `topics` as one consumer group and dispatches each event type to its handler."""

    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        pool: asyncpg.Pool,
        bootstrap: str,
        group_id: str,
        dead_letters: DeadLetterPublisher,
        batch_size: int = 500,
        max_attempts: int = 3,
        retry_delay_s: float = 0.2,
        offset_reset: str = "earliest",
        commit_interval_s: float = 1.0,
    ) -> None:
        self.name = name
        self._topics = list(topics)
        self._handlers = dict(handlers)
        self._pool = pool
        self._bootstrap = bootstrap
        self._group_id = group_id
        self._dead_letters = dead_letters
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_delay_s = retry_delay_s
        self._offset_reset = offset_reset
        self._commit_interval_s = commit_interval_s
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.failures = 0  # handler attempts that failed (metrics)
        self.assigned = asyncio.Event()
        # Progress, for readiness: since when messages known to be waiting have not moved, how
        # many there are, and the last failure while handling them.
        self._waiting_since: float | None = None
        self._lag = 0
        self._problem: str | None = None
        self._next_offsets: dict[TopicPartition, int] = {}

    @property
    def lag(self) -> int:
        """Messages known to wait in the assigned partitions (metrics)."""
        return self._lag

    def stalled(self, *, after_s: float) -> str | None:
        """Why this consumer counts as stalled (messages waiting and no progress for longer
        than `after_s`), else None. An idle consumer with no lag never is."""
        waited = overdue(self._waiting_since, after_s=after_s)
        if waited is None:
            return None
        reason = f"stalled: lag {self._lag} for {waited:.0f} s"
        return f"{reason}: {self._problem[:300]}" if self._problem else reason

    async def run(self) -> None:
        backoff = Backoff(first_s=0.5)
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                group_id=self._group_id,
                client_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset=self._offset_reset,
                max_poll_records=self._batch_size,
                metadata_max_age_ms=30000,
            )
            delay = 0.0
            try:
                await consumer.start()
                self._next_offsets.clear()
                consumer.subscribe(self._topics, listener=_Assignment(consumer, self._next_offsets, self.assigned))
                log.info("consumer_started", consumer=self.name, topics=self._topics)
                backoff.succeeded()
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                delay = backoff.failed(exc)
                log.warning("consumer_kafka_unavailable", consumer=self.name, error=repr(exc), retry_in_s=delay)
            except Exception as exc:
                delay = backoff.failed(exc)
                log.exception("consumer_crashed", consumer=self.name, retry_in_s=delay)
            finally:
                self.assigned.clear()
                try:
                    await asyncio.wait_for(consumer.stop(), 10)
                except Exception as exc:  # noqa: BLE001 - stopping after a failure may fail too
                    log.debug("consumer_stop_failed", error=repr(exc))
            await asyncio.sleep(delay)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        # Offsets are committed after the database commit, but at most every
        # `commit_interval_s`, not after each poll: a commit is a write to Kafka's offsets log,
        # and what a crash leaves uncommitted is only read again, which the inbox absorbs.
        pending: dict[TopicPartition, int] = {}
        clock = asyncio.get_running_loop().time
        last_commit = clock()
        try:
            while True:
                try:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
                except UNREADABLE_RECORD_ERRORS as exc:
                    log.warning("consumer_record_unreadable", consumer=self.name, error=repr(exc))
                    # aiokafka may already have moved other partitions of this poll past records
                    # it never returned: back to what was processed, then one partition at a time.
                    for partition, offset in self._next_offsets.items():
                        consumer.seek(partition, offset)
                    await self._read_carefully(consumer, pending)
                    continue
                if batches:
                    await self._handle_polled(consumer, batches, pending)
                elif self._waiting_since is not None:
                    await self._recount_lag(consumer)
                if pending and clock() - last_commit >= self._commit_interval_s:
                    await self._commit(consumer, pending)
                    pending = {}
                    last_commit = clock()
        finally:
            if pending:
                try:
                    await asyncio.wait_for(self._commit(consumer, pending), 5)
                except Exception as exc:  # noqa: BLE001 - leaving without a commit only means a re-read
                    log.debug("consumer_final_commit_failed", consumer=self.name, error=repr(exc))

    async def _handle_polled(
        self,
        consumer: AIOKafkaConsumer,
        batches: Mapping[TopicPartition, Sequence[ConsumerRecord]],
        pending: dict[TopicPartition, int],
    ) -> None:
        # The lag is counted from what the poll brought (and the highwater its fetch saw):
        # no extra round trip to the broker.
        self._lag = sum(
            max(consumer.highwater(partition) or 0, messages[-1].offset + 1) - messages[0].offset
            for partition, messages in batches.items()
        )
        if self._waiting_since is None:
            self._waiting_since = time.monotonic()
        # One transaction for everything polled (each partition's order is kept).
        await self._process([message for messages in batches.values() for message in messages])
        done = {partition: messages[-1].offset + 1 for partition, messages in batches.items()}
        pending.update(done)
        self._next_offsets.update(done)
        self._moved_on(
            sum(max((consumer.highwater(partition) or 0) - pending[partition], 0) for partition in batches)
        )

    def _moved_on(self, lag: int) -> None:
        self._lag = lag
        self._waiting_since = time.monotonic() if lag else None
        self._problem = None

    async def _recount_lag(self, consumer: AIOKafkaConsumer) -> None:
        # An empty poll while lag was known: the positions say whether anything still waits
        # (control records, for one, count in the highwater but are never returned).
        lag = 0
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is not None:
                lag += max(highwater - await consumer.position(partition), 0)
        if lag == 0:
            self._moved_on(0)
        else:
            self._lag = lag

    async def _read_carefully(self, consumer: AIOKafkaConsumer, pending: dict[TopicPartition, int]) -> None:
        """Read each partition on its own, up to where it stood when this began: the record
        that cannot be parsed is found, dead-lettered by reference and stepped over."""
        for partition in sorted(consumer.assignment()):
            end: int | None = None
            empty_polls = 0
            while True:
                start = await consumer.position(partition)
                if end is not None and start >= end:
                    break
                try:
                    batches = await consumer.getmany(partition, timeout_ms=500, max_records=self._batch_size)
                except UNREADABLE_RECORD_ERRORS as exc:
                    consumer.seek(partition, start)  # what came before it in that fetch was not returned
                    await self._step_over_unreadable(consumer, partition, exc, pending)
                    continue
                finally:
                    end = consumer.highwater(partition) if end is None else end
                if batches:
                    await self._handle_polled(consumer, batches, pending)
                    continue
                # Nothing yet, short of where it stood: the fetch after a seek may be on its way.
                empty_polls += 1
                if empty_polls >= 5:
                    break

    async def _step_over_unreadable(
        self,
        consumer: AIOKafkaConsumer,
        partition: TopicPartition,
        error: BaseException,
        pending: dict[TopicPartition, int],
    ) -> None:
        # One record at a time, the position stops right at the record that cannot be parsed.
        while True:
            try:
                batches = await consumer.getmany(partition, timeout_ms=1000, max_records=1)
            except UNREADABLE_RECORD_ERRORS as exc:
                error = exc
                break
            if not batches:
                return  # nothing unreadable left to read (retention may have removed it)
            await self._handle_polled(consumer, batches, pending)
        first = await consumer.position(partition)
        # aiokafka parses a whole record batch before it skips what lies below the position, so
        # every offset of that batch fails alike: the first offset that reads is past it.
        offset, readable = first + 1, None
        while readable is None:
            consumer.seek(partition, offset)
            highwater = consumer.highwater(partition)
            if highwater is not None and offset >= highwater:
                break
            try:
                batches = await consumer.getmany(partition, timeout_ms=1000, max_records=1)
            except UNREADABLE_RECORD_ERRORS:
                batches = {}
            if batches:
                readable = batches[partition]
            else:
                offset += 1
        end = readable[0].offset if readable else offset
        log.error(
            "records_unreadable",
            consumer=self.name,
            topic=partition.topic,
            partition=partition.partition,
            first_offset=first,
            last_offset=end - 1,
            error=repr(error),
        )
        # One letter per offset: the range may span several unreadable batches, and each
        # record the broker accepted is accounted for on its own.
        for skipped in range(first, end):
            await self._dead_letters.publish_letter(
                unreadable(
                    consumer=self.name,
                    topic=partition.topic,
                    partition=partition.partition,
                    offset=skipped,
                    error=f"the Kafka client cannot parse the records at offsets {first} to {end - 1}: {error!r}",
                )
            )
            self.dead_lettered += 1
        self._advanced()
        pending[partition] = self._next_offsets[partition] = end
        if readable:
            await self._handle_polled(consumer, {partition: readable}, pending)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]) -> None:
        assigned = consumer.assignment()
        mine = {partition: offset for partition, offset in offsets.items() if partition in assigned}
        if not mine:
            return
        try:
            await consumer.commit(mine)
        except CommitFailedError as exc:  # the group rebalanced meanwhile: the new owner re-reads
            log.info("consumer_commit_skipped", consumer=self.name, error=repr(exc))

    async def _process(self, messages: Sequence[ConsumerRecord]) -> None:
        decoded: list[tuple[ConsumerRecord, Envelope]] = []
        for message in messages:
            try:
                decoded.append((message, decode(message.headers, message.value)))
            except EventDecodeError as exc:
                await self._dead_letter(message, f"undecodable: {exc}")
        wanted = [(message, envelope) for message, envelope in decoded if envelope.type in self._handlers]
        if not wanted:
            return
        # Fast path: the whole batch in one transaction. On any failure, fall back to one
        # transaction per message so that a single bad event cannot hold back the others.
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                # One inbox statement for the batch instead of one round trip per event.
                fresh = await claim_events(conn=conn, consumer=self.name, envelopes=[e for _, e in wanted])
                handled = 0
                run: list[Envelope] = []  # consecutive events for one handler that takes batches
                for _message, envelope in wanted:
                    if envelope.id not in fresh:  # a redelivery, or the same event twice in this poll
                        continue
                    fresh.discard(envelope.id)
                    handled += 1
                    if run and run[0].type != envelope.type:
                        await self._dispatch_run(conn, run)
                        run = []
                    if hasattr(self._handlers[envelope.type], "handle_batch"):
                        run.append(envelope)
                    else:
                        await self._dispatch(conn, envelope)
                if run:
                    await self._dispatch_run(conn, run)
            self.handled += handled
            self.duplicates += len(wanted) - handled
            return
        except Exception as exc:  # noqa: BLE001 - every failure is retried message by message below
            log.info("consumer_batch_fallback", consumer=self.name, size=len(wanted), error=repr(exc))
        for message, envelope in wanted:
            await self._process_one(message, envelope)

    async def _process_one(self, message: ConsumerRecord, envelope: Envelope) -> None:
        attempts = 0
        backoff = Backoff(first_s=self._retry_delay_s)
        while True:
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    await self._handle(conn, envelope)
                self._advanced()
                return
            except TRANSIENT_DB_ERRORS as exc:
                delay = backoff.failed(exc)
                self._problem = f"database unavailable: {exc!r}"
                log.warning("consumer_database_unavailable", consumer=self.name, error=repr(exc), retry_in_s=delay)
            except Exception as exc:  # noqa: BLE001 - a handler failure is recorded on the dead letter
                attempts += 1
                self.failures += 1
                if attempts >= self._max_attempts:
                    log.error(
                        "event_dead_lettered",
                        consumer=self.name,
                        event_id=str(envelope.id),
                        complaint_id=envelope.subject,
                        error=repr(exc),
                    )
                    await self._dead_letter(message, f"handler failed {attempts} times: {exc!r}")
                    return
                delay = backoff.failed(exc)
                self._problem = f"handler failed: {exc!r}"
                log.warning("event_handler_failed", consumer=self.name, attempt=attempts, error=repr(exc))
            await asyncio.sleep(delay)

    def _advanced(self) -> None:
        """One message of the batch at hand is done: the stall clock starts over."""
        if self._waiting_since is not None:
            self._waiting_since = time.monotonic()
        self._problem = None

    async def _handle(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        if not await claim_events(conn=conn, consumer=self.name, envelopes=[envelope]):
            self.duplicates += 1
            log.debug("event_already_handled", consumer=self.name, event_id=str(envelope.id))
            return
        await self._dispatch(conn, envelope)
        self.handled += 1

    async def _dispatch(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        with (
            structlog.contextvars.bound_contextvars(
                event_id=str(envelope.id),
                complaint_id=envelope.subject,
                correlation_id=envelope.correlation_id,
            ),
            consumer_span(self.name, envelope) as traced,
        ):
            await self._handlers[envelope.type](conn=conn, envelope=traced)

    async def _dispatch_run(self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        if len(envelopes) == 1:
            await self._dispatch(conn, envelopes[0])
        else:
            # Each event of the run keeps its own trace: a handler deriving events from them
            # passes each one's traceparent on (none of these spans is current).
            with consumer_spans(self.name, list(envelopes)) as traced:
                await self._handlers[envelopes[0].type].handle_batch(conn=conn, envelopes=traced)

    async def _dead_letter(self, message: ConsumerRecord, error: str) -> None:
        await self._dead_letters.publish(consumer=self.name, message=message, error=error)
        self.dead_lettered += 1
        self._advanced()
