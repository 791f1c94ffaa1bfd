"""The consumer hands routing a whole poll of submitted complaints: every decision, its history
entry and its ComplaintRouted go to the real database in a fixed number of statements, each
complaint once, the outbox relay is woken on commit, and the shared consumer over real Kafka uses that path."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.events import (
    ComplaintRouted,
    ComplaintSubmitted,
    Envelope,
    GeoPoint,
    decode,
    encode,
    headers_from_json,
)
from sigap_shared.outbox import NOTIFY_CHANNEL
from tests.support.factories import submitted_envelope
from tests.support.kafka import eventually, produce_raw

pytestmark = pytest.mark.integration

BEJI = GeoPoint(lat=-6.3731, lon=106.819)  # Kukusan, Beji
JAKARTA = GeoPoint(lat=-6.1754, lon=106.8272)  # Monas: outside Kota Depok


def _complaint(description: str, *, category: str | None = None, location: GeoPoint | None = BEJI) -> Envelope:
    template = submitted_envelope(category=category)
    return Envelope(
        source=template.source,
        data=template.data.model_copy(update={"description": description, "location": location}),
    )


def _poll() -> list[Envelope]:
    return [
        _complaint("Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut"),
        _complaint("Lampu PJU mati total di gang depan masjid", category="lampu_jalan"),
        _complaint("Got mampet, air meluap ke jalan kalau hujan", location=None),
        _complaint("Jalan berlubang besar, bahaya buat motor", location=JAKARTA),
        _complaint("pokoknya tolong dicek"),
    ]


async def _outbox_events(conn, complaint_id: uuid.UUID) -> list[ComplaintRouted]:
    rows = await conn.fetch(
        "SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode()
    )
    return [decode(headers_from_json(row["headers"]), row["payload"]).data for row in rows]


async def test_a_poll_is_recorded_with_four_statements_each_complaint_once(routing_api):
    engine = routing_api.engine
    handler = complaint_submitted_handler(engine)
    routed_before = submitted_envelope(category=None)
    complaints = _poll()
    # A second submission event for a complaint routed earlier, and one complaint twice in the poll.
    resubmitted = Envelope(source=routed_before.source, data=routed_before.data)
    twice = Envelope(source=complaints[0].source, data=complaints[0].data)
    poll = [*complaints, resubmitted, twice]

    woken = asyncio.Event()

    def wake(*_args: object) -> None:
        woken.set()

    async with routing_api.pool.acquire() as listener, routing_api.pool.acquire() as conn:
        # Also loads the taxonomy (the fixture re-checks it every 60 s) and prepares the statement,
        # as the service's long-lived connections have.
        async with conn.transaction():
            await handler(conn=conn, envelope=routed_before)
        await listener.add_listener(NOTIFY_CHANNEL, wake)
        statements: list[str] = []
        async with conn.transaction():
            with conn.query_logger(lambda logged: statements.append(logged.query)):
                await handler.handle_batch(conn=conn, envelopes=poll)
                await asyncio.sleep(0)  # asyncpg reports each statement on the next loop turn
            assert not woken.is_set()  # the relay is woken by the commit, not before
        await asyncio.wait_for(woken.wait(), timeout=10)
        await listener.remove_listener(NOTIFY_CHANNEL, wake)
        # The complaints locked against a concurrent erasure and their erasures looked up, the
        # decisions with their history, then their events through the shared outbox writer:
        # four statements however many complaints the poll holds.
        assert len(statements) == 4, statements
        assert "pg_advisory_xact_lock" in statements[0] and "erased_reporters" in statements[1]
        assert "INSERT INTO routing_decisions" in statements[2] and "INSERT INTO outbox" in statements[3]

        for envelope in [*complaints, routed_before]:
            submitted = envelope.data
            assert isinstance(submitted, ComplaintSubmitted)
            decisions = await conn.fetch(
                "SELECT event_id, department, kelurahan_code, inside_city, lead_department, decided_at"
                " FROM routing_decisions WHERE complaint_id = $1",
                submitted.complaint_id,
            )
            history = await conn.fetch(
                "SELECT kind, to_department, event_id FROM routing_history WHERE complaint_id = $1",
                submitted.complaint_id,
            )
            events = await _outbox_events(conn, submitted.complaint_id)
            assert len(decisions) == 1 and len(history) == 1 and len(events) == 1, submitted.description
            # The first submission event of each complaint decided it.
            assert decisions[0]["event_id"] == envelope.id
            expected = await engine.decide(
                conn=conn, category=submitted.category, description=submitted.description, location=submitted.location
            )
            routed = events[0]
            assert isinstance(routed, ComplaintRouted)
            assert (routed.department, routed.category, routed.confidence, routed.reasons) == (
                expected.department,
                expected.category,
                expected.confidence,
                expected.reasons,
            )
            assert decisions[0]["department"] == decisions[0]["lead_department"] == expected.department
            assert (history[0]["kind"], history[0]["to_department"]) == ("automatic", expected.department)
            assert routed.tracking_code == submitted.tracking_code
            assert routed.reporter == submitted.reporter
            assert decisions[0]["inside_city"] == routed.inside_city
            assert decisions[0]["kelurahan_code"] == routed.kelurahan_code

    by_description = {envelope.data.description: envelope for envelope in complaints}
    async with routing_api.pool.acquire() as conn:
        beji = await _outbox_events(
            conn, by_description["Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut"].data.complaint_id
        )
        outside = await _outbox_events(
            conn, by_description["Jalan berlubang besar, bahaya buat motor"].data.complaint_id
        )
        unplaced = await _outbox_events(
            conn, by_description["Got mampet, air meluap ke jalan kalau hujan"].data.complaint_id
        )
    assert (beji[0].kelurahan_code, beji[0].inside_city) == ("32.76.06.1002", True)
    assert (outside[0].inside_city, outside[0].needs_triage) == (False, True)
    assert unplaced[0].inside_city is None and unplaced[0].kelurahan_code is None


async def test_the_consumer_routes_a_poll_from_kafka_through_the_batch_path(infra, routing_api):
    topic = infra.topic(f"test.routing.submitted.{uuid.uuid4().hex}")
    complaints = _poll()
    redelivered = complaints[1]
    await produce_raw(
        infra.kafka_bootstrap,
        topic,
        [(record.key, record.value, record.headers) for record in map(encode, [*complaints, redelivered])],
    )
    dead_letters = DeadLetterPublisher(
        bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix
    )
    consumer = EventConsumer(
        name="routing.submitted",
        topics=[topic],
        handlers={ComplaintSubmitted.event_type: complaint_submitted_handler(routing_api.engine)},
        pool=routing_api.pool,
        bootstrap=infra.kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        dead_letters=dead_letters,
    )
    ids = [envelope.data.complaint_id for envelope in complaints]

    async def routed() -> bool:
        count = await routing_api.pool.fetchval(
            "SELECT count(*) FROM routing_decisions WHERE complaint_id = ANY($1::uuid[])", ids
        )
        return count == len(ids)

    task = asyncio.create_task(consumer.run())
    try:
        await eventually(routed, timeout_s=30)
        await eventually(lambda: consumer.handled + consumer.duplicates == len(complaints) + 1, timeout_s=10)
        assert (consumer.handled, consumer.duplicates, consumer.dead_lettered) == (len(complaints), 1, 0)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()
    async with routing_api.pool.acquire() as conn:
        for complaint_id in ids:
            assert len(await _outbox_events(conn, complaint_id)) == 1
            assert (
                await conn.fetchval("SELECT count(*) FROM routing_history WHERE complaint_id = $1", complaint_id) == 1
            )
