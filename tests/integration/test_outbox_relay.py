"""The transactional outbox against real PostgreSQL and real Kafka."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, Envelope, decode
from sigap_shared.housekeeping import purge_once
from sigap_shared.outbox import OutboxRelay, add_to_outbox, parked_counts
from tests.support.cloudevents_sdk import parse_record
from tests.support.factories import submitted_envelope
from tests.support.infra import Infra, extra_kafka_broker
from tests.support.kafka import collect, eventually

pytestmark = pytest.mark.integration


def _relay(
    infra: Infra, pool: asyncpg.Pool, bootstrap: str | None = None, *, topic_prefix: str | None = None
) -> OutboxRelay:
    return OutboxRelay(
        connect_kwargs=_pool_kwargs(infra, pool),
        bootstrap=bootstrap or infra.kafka_bootstrap,
        client_id="test-relay",
        poll_interval_s=0.5,
        topic_prefix=infra.topic_prefix if topic_prefix is None else topic_prefix,
    )


def _pool_kwargs(infra: Infra, pool: asyncpg.Pool) -> dict[str, object]:
    return infra.pg_kwargs(pool._connect_kwargs["database"])  # noqa: SLF001 - test needs the db name


async def _unsent(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")


async def test_committed_events_are_published_in_order_and_marked_sent(infra, messaging_pool):
    envelopes = [submitted_envelope() for _ in range(20)]
    async with messaging_pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn=conn, envelopes=envelopes)
    relay = _relay(infra, messaging_pool)
    task = asyncio.create_task(relay.run())
    try:
        wanted = {str(envelope.id) for envelope in envelopes}
        records = await collect(
            infra.kafka_bootstrap,
            [infra.topic(TOPIC_COMPLAINT_SUBMITTED)],
            keep=lambda r: dict(r.headers).get("ce_id", b"").decode() in wanted,
            until=lambda kept: len(kept) >= len(wanted),
        )
        assert sorted(dict(r.headers)["ce_id"].decode() for r in records) == sorted(wanted)
        for record in records:
            assert record.key == str(decode(record.headers, record.value).data.complaint_id).encode()
            assert parse_record(record)["type"] == "sigap.complaint.submitted.v1"
        await eventually(lambda: _all_sent(messaging_pool))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _all_sent(pool: asyncpg.Pool) -> bool:
    return await _unsent(pool) == 0


async def test_rolled_back_transaction_publishes_nothing(infra, messaging_pool):
    envelope = submitted_envelope()

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with messaging_pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn=conn, envelopes=[envelope])
            raise Abort
    assert await messaging_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_only_one_relay_publishes_at_a_time(infra, messaging_pool):
    first, second = _relay(infra, messaging_pool), _relay(infra, messaging_pool)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        await eventually(lambda: first.holds_lock or second.holds_lock)
        await asyncio.sleep(1.0)
        assert [first.holds_lock, second.holds_lock].count(True) == 1
        async with messaging_pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn=conn, envelopes=[submitted_envelope() for _ in range(5)])
        await eventually(lambda: _all_sent(messaging_pool))
        assert first.published + second.published == 5
        assert 0 in (first.published, second.published)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_relay_started_while_kafka_is_down_delivers_everything_once_it_is_up(
    infra, messaging_pool, tmp_path: Path
):
    with extra_kafka_broker(tmp_path) as broker:
        relay = _relay(infra, messaging_pool, bootstrap=broker.bootstrap)
        task = asyncio.create_task(relay.run())
        try:
            envelopes = [submitted_envelope() for _ in range(30)]
            # Work keeps being accepted while the broker is down: commits succeed, rows wait.
            for envelope in envelopes:
                async with messaging_pool.acquire() as conn, conn.transaction():
                    await add_to_outbox(conn=conn, envelopes=[envelope])
            await asyncio.sleep(3)
            assert await _unsent(messaging_pool) == 30
            assert relay.published == 0

            await asyncio.to_thread(broker.start)
            await eventually(lambda: _all_sent(messaging_pool), timeout_s=60)

            wanted = {str(envelope.id) for envelope in envelopes}
            records = await collect(
                broker.bootstrap,
                [infra.topic(TOPIC_COMPLAINT_SUBMITTED)],
                until=lambda kept: len(kept) >= len(wanted),
                settle_s=1.0,
            )
            ids = [dict(r.headers)["ce_id"].decode() for r in records]
            assert sorted(ids) == sorted(wanted), "every event exactly once"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_broker_restart_under_load_loses_nothing(infra, messaging_pool, tmp_path: Path):
    with extra_kafka_broker(tmp_path) as broker:
        await asyncio.to_thread(broker.start)
        relay = _relay(infra, messaging_pool, bootstrap=broker.bootstrap)
        task = asyncio.create_task(relay.run())
        envelopes = [submitted_envelope() for _ in range(90)]
        try:
            for index, envelope in enumerate(envelopes):
                async with messaging_pool.acquire() as conn, conn.transaction():
                    await add_to_outbox(conn=conn, envelopes=[envelope])
                if index == 30:
                    await asyncio.to_thread(broker.stop)
                if index == 60:
                    await asyncio.to_thread(broker.start)
                await asyncio.sleep(0.01)
            await eventually(lambda: _all_sent(messaging_pool), timeout_s=90)
            wanted = {str(envelope.id) for envelope in envelopes}
            records = await collect(
                broker.bootstrap,
                [infra.topic(TOPIC_COMPLAINT_SUBMITTED)],
                until=lambda kept: {dict(r.headers)["ce_id"].decode() for r in kept} >= wanted,
                timeout_s=60,
            )
            assert {dict(r.headers)["ce_id"].decode() for r in records} == wanted
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_housekeeping_purges_only_expired_published_rows_and_old_inbox_claims(messaging_pool):
    old_sent, fresh_sent, unsent = submitted_envelope(), submitted_envelope(), submitted_envelope()
    async with messaging_pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn=conn, envelopes=[old_sent, fresh_sent, unsent])
        await conn.execute("UPDATE outbox SET sent_at = now() - interval '2 days' WHERE event_id = $1", old_sent.id)
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE event_id = $1", fresh_sent.id)
        await conn.execute(
            "INSERT INTO inbox (consumer, event_id, event_type, received_at) VALUES"
            " ('c', $1, 't', now() - interval '9 days'), ('c', $2, 't', now())",
            old_sent.id,
            fresh_sent.id,
        )
    async with messaging_pool.acquire() as conn:
        removed = await purge_once(conn=conn, outbox_retention_s=24 * 3600, inbox_retention_s=8 * 24 * 3600)
    assert removed == {"outbox": 1, "inbox": 1}
    remaining = {row["event_id"] for row in await messaging_pool.fetch("SELECT event_id FROM outbox")}
    assert remaining == {fresh_sent.id, unsent.id}
    assert [row["event_id"] for row in await messaging_pool.fetch("SELECT event_id FROM inbox")] == [fresh_sent.id]


def _described(envelope: Envelope, description: str) -> Envelope:
    """Another event of the same complaint (same key), with another description."""
    return Envelope(source=envelope.source, data=envelope.data.model_copy(update={"description": description}))


async def _row(pool: asyncpg.Pool, envelope: Envelope) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT sent_at, parked_at, failures, last_error FROM outbox WHERE event_id = $1", envelope.id
    )


async def _parked(pool: asyncpg.Pool, envelope: Envelope) -> bool:
    return (await _row(pool, envelope))["parked_at"] is not None


async def _sent(pool: asyncpg.Pool, envelopes: list[Envelope]) -> bool:
    return await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND event_id = ANY($1::uuid[])",
        [envelope.id for envelope in envelopes],
    ) == len(envelopes)


async def test_a_row_the_producer_refuses_is_parked_and_the_rows_behind_it_are_published(infra, messaging_pool):
    before = submitted_envelope()
    # Over the producer's 1 MB request limit: refused before it leaves the process.
    oversized = _described(submitted_envelope(), "x" * (1100 * 1024))
    held = _described(oversized, "the same complaint's next event waits behind the parked one")
    after = [submitted_envelope() for _ in range(5)]
    async with messaging_pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn=conn, envelopes=[before, oversized, held, *after])
    relay = _relay(infra, messaging_pool)
    task = asyncio.create_task(relay.run())
    try:
        # The batch marks the rows it delivered first; the refused row is then sent again on its
        # own (a fresh producer) and only parked when refused alone, so wait for both.
        await eventually(lambda: _sent(messaging_pool, [before, *after]), timeout_s=30)
        await eventually(lambda: _parked(messaging_pool, oversized), timeout_s=30)
        parked = await _row(messaging_pool, oversized)
        assert parked["sent_at"] is None and parked["parked_at"] is not None
        assert parked["failures"] == 1 and "MessageSizeTooLargeError" in parked["last_error"]
        waiting = await _row(messaging_pool, held)
        assert waiting["sent_at"] is None and waiting["parked_at"] is None
        assert relay.parked == 1
        async with messaging_pool.acquire() as conn:
            assert await parked_counts(conn=conn) == {"parked": 1, "held": 1}

        # An operator drops the refused event: the complaint's next event follows at once.
        await messaging_pool.execute("DELETE FROM outbox WHERE event_id = $1", oversized.id)
        await eventually(lambda: _sent(messaging_pool, [held]), timeout_s=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    wanted = {str(envelope.id) for envelope in [before, *after, held]}
    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_SUBMITTED)],
        keep=lambda r: dict(r.headers).get("ce_id", b"").decode() in wanted | {str(oversized.id)},
        until=lambda kept: len(kept) >= len(wanted),
    )
    assert sorted(dict(r.headers)["ce_id"].decode() for r in records) == sorted(wanted)


async def test_a_row_the_broker_refuses_is_parked_alone_and_its_batch_neighbours_are_published(
    infra, messaging_pool
):
    # A topic whose own limit is lower than the producer's: the broker refuses the whole
    # batch that holds the large record, innocent neighbours included.
    prefix = f"{infra.topic_prefix}small{uuid.uuid4().hex[:8]}."
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    name=prefix + TOPIC_COMPLAINT_SUBMITTED,
                    num_partitions=1,
                    replication_factor=1,
                    topic_configs={"max.message.bytes": "16384"},
                )
            ]
        )
    finally:
        await admin.close()
    neighbours = [submitted_envelope() for _ in range(3)]
    large = _described(submitted_envelope(), "y" * 40_000)
    async with messaging_pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn=conn, envelopes=[neighbours[0], large, *neighbours[1:]])
    relay = _relay(infra, messaging_pool, topic_prefix=prefix)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: _sent(messaging_pool, neighbours), timeout_s=30)
        parked = await _row(messaging_pool, large)
        assert parked["sent_at"] is None and parked["parked_at"] is not None
        assert "MessageSizeTooLargeError" in parked["last_error"]
        assert relay.parked == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
