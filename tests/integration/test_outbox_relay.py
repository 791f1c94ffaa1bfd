"""The transactional outbox against real PostgreSQL and real Kafka."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, decode
from sigap_shared.housekeeping import purge_once
from sigap_shared.outbox import OutboxRelay, add_to_outbox
from tests.support.cloudevents_sdk import parse_record
from tests.support.factories import submitted_envelope
from tests.support.infra import Infra, extra_kafka_broker
from tests.support.kafka import collect, eventually

pytestmark = pytest.mark.integration


def _relay(infra: Infra, pool: asyncpg.Pool, bootstrap: str | None = None) -> OutboxRelay:
    return OutboxRelay(
        connect_kwargs=_pool_kwargs(infra, pool),
        bootstrap=bootstrap or infra.kafka_bootstrap,
        client_id="test-relay",
        poll_interval_s=0.5,
        topic_prefix=infra.topic_prefix,
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
