"""Restarting PostgreSQL under load: no acknowledged work is lost, no event has two effects,
and the API answers 503 problems (never 500) while the database is away. Uses its own
PostgreSQL server so the shared one keeps serving the other tests."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from sigap_shared.consumer import DeadLetterPublisher
from sigap_shared.db import apply_migrations, shared_migrations
from sigap_shared.events import ComplaintRouted, ComplaintSubmitted, Envelope, encode
from sigap_shared.outbox import OutboxRelay, add_to_outbox
from tests.support.factories import submitted_envelope
from tests.support.infra import Infra, extra_postgres, port_open, random_name
from tests.support.kafka import collect, event_consumer, eventually, produce_raw
from tests.support.services import SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.integration

RESILIENCE_PG_PORT = 55439
DATABASE = "sigap_resilience"


@pytest.fixture(scope="module")
def restartable_postgres():
    with extra_postgres(RESILIENCE_PG_PORT, DATABASE) as control:
        yield control


def _kwargs(infra: Infra, database: str) -> dict[str, object]:
    return {**infra.pg_kwargs(database), "port": RESILIENCE_PG_PORT}


async def _drop_database(infra: Infra, name: str) -> None:
    admin = await asyncpg.connect(**_kwargs(infra, DATABASE))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _fresh_database(infra: Infra) -> str:
    name = random_name("resilience")
    admin = await asyncpg.connect(**_kwargs(infra, DATABASE))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


def _wire(envelope: Envelope) -> tuple[bytes, bytes, tuple[tuple[str, bytes], ...]]:
    record = encode(envelope)
    return record.key, record.value, record.headers


async def test_consumer_and_relay_survive_a_postgres_restart(infra, restartable_postgres, tmp_path):
    database = await _fresh_database(infra)
    pool = await asyncpg.create_pool(**_kwargs(infra, database), min_size=1, max_size=4)
    await apply_migrations(pool, [shared_migrations()])
    await pool.execute("CREATE TABLE effects (complaint_id uuid PRIMARY KEY, hits integer NOT NULL DEFAULT 1)")
    in_topic = f"test.resilience.in.{uuid.uuid4().hex}"

    async def handle(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = envelope.data
        assert isinstance(data, ComplaintSubmitted)
        await conn.execute(
            "INSERT INTO effects (complaint_id) VALUES ($1)"
            " ON CONFLICT (complaint_id) DO UPDATE SET hits = effects.hits + 1",
            data.complaint_id,
        )
        routed = ComplaintRouted(
            complaint_id=data.complaint_id,
            tracking_code=data.tracking_code,
            department="DPUPR",
            category=data.category,
            confidence=1.0,
            needs_triage=False,
            routed_at=data.submitted_at,
        )
        await add_to_outbox(conn=conn, envelopes=[Envelope(source="sigap/test", data=routed)])

    dead_letters = DeadLetterPublisher(
        bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix
    )
    consumer = event_consumer(
        infra,
        pool,
        dead_letters=dead_letters,
        name="test.resilience",
        topics=[in_topic],
        handlers={ComplaintSubmitted.event_type: handle},
        retry_delay_s=0.05,
    )
    relay = OutboxRelay(
        connect_kwargs=_kwargs(infra, database),
        bootstrap=infra.kafka_bootstrap,
        client_id="test-relay",
        topic_prefix=infra.topic_prefix,
    )
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    first = [submitted_envelope() for _ in range(60)]
    second = [submitted_envelope() for _ in range(60)]
    try:
        await produce_raw(infra.kafka_bootstrap, in_topic, [_wire(e) for e in first])
        await asyncio.to_thread(restartable_postgres.stop)
        await produce_raw(infra.kafka_bootstrap, in_topic, [_wire(e) for e in second])
        await asyncio.sleep(2)
        await asyncio.to_thread(restartable_postgres.start)

        async def all_handled() -> bool:
            try:
                return await pool.fetchval("SELECT count(*) FROM effects") == 120
            except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError):
                return False

        await eventually(all_handled, timeout_s=90, interval_s=0.5)
        assert await pool.fetchval("SELECT max(hits) FROM effects") == 1, "an event had two effects"
        assert dead_letters.published == 0, "a database outage must not dead-letter events"

        wanted = {str(e.data.complaint_id) for e in first + second}
        routed = await collect(
            infra.kafka_bootstrap,
            [infra.topic("sigap.complaint.routed")],
            keep=lambda r: r.key.decode() in wanted,
            until=lambda kept: len({r.key for r in kept}) >= len(wanted),
            timeout_s=60,
        )
        assert {r.key.decode() for r in routed} == wanted, "every outbox event was published"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await dead_letters.close()
        await pool.close()
        await _drop_database(infra, database)


async def test_intake_answers_503_while_postgres_is_down_and_201_after(infra, restartable_postgres, tmp_path):
    database = await _fresh_database(infra)
    local = Infra(
        kafka_bootstrap=infra.kafka_bootstrap,
        pg_host=infra.pg_host,
        pg_port=RESILIENCE_PG_PORT,
        pg_user=infra.pg_user,
        pg_password=infra.pg_password,
    )
    system = SigapSystem()
    system.services["intake"] = start_service(
        "intake", infra=local, database=database, group_prefix=random_name("res"), log_dir=tmp_path
    )
    body = {
        "description": "Saluran air tersumbat di Jl. Raya Sawangan, banjir tiap hujan",
        "category": "drainase",
        "location": {"lat": -6.41, "lon": 106.78},
    }
    try:
        wait_ready(system)
        url = f"{system.url('intake')}/v1/complaints"
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.post(url, json=body)).status_code == 201
            await asyncio.to_thread(restartable_postgres.stop)
            down = await client.post(url, json=body)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"].startswith("application/problem+json")
            assert down.headers["retry-after"]
            await asyncio.to_thread(restartable_postgres.start)

            async def accepted() -> bool:
                return (await client.post(url, json=body)).status_code == 201

            await eventually(accepted, timeout_s=60, interval_s=0.5)
    finally:
        system.stop()
        if not port_open("127.0.0.1", RESILIENCE_PG_PORT):
            await asyncio.to_thread(restartable_postgres.start)
        await _drop_database(infra, database)
