"""Readiness tells the truth: a consumer that sits on unprocessed messages without making
progress turns `/readyz` into a 503 that names the consumer and why, and a log line says the
same; once it moves again the service is ready again. Real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from structlog.testing import capture_logs

from sigap_shared.consumer import DeadLetterPublisher
from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, ComplaintSubmitted, Envelope, encode
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app
from sigap_shared.settings import ServiceSettings
from tests.integration.notify.support import serve_asgi
from tests.support.factories import submitted_envelope
from tests.support.infra import free_port, random_name
from tests.support.kafka import event_consumer, eventually, produce_raw

pytestmark = pytest.mark.integration


def _wire(envelope: Envelope) -> tuple[bytes, bytes, tuple[tuple[str, bytes], ...]]:
    record = encode(envelope)
    return record.key, record.value, record.headers


async def _readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()["checks"]


async def test_a_wedged_consumer_with_lag_makes_readyz_fail_with_the_reason_until_it_moves_again(
    infra, databases
):
    release = asyncio.Event()
    handled: list[uuid.UUID] = []

    async def wedged_handler(*, conn, envelope: Envelope) -> None:
        await release.wait()  # a handler stuck on something that never answers
        handled.append(envelope.data.complaint_id)

    settings = ServiceSettings(
        **infra.settings_kwargs(database=await databases.create(), group_prefix=random_name("readiness")),
        service_name="readiness",
        http_port=free_port(),
        stall_after_s=1.0,
        kafka_commit_interval_s=0,
    )
    spec = ServiceSpec(
        package="sigap_routing",  # any service's migrations: the consumer below is the point
        title="readiness test",
        description="a service whose only consumer can be wedged",
        consumers=[
            ConsumerSpec(
                name="wedge",
                topics=[TOPIC_COMPLAINT_SUBMITTED],
                handlers={ComplaintSubmitted.event_type: wedged_handler},
            )
        ],
        publishes=False,
    )
    check = "consumer:readiness.wedge"
    events = [submitted_envelope() for _ in range(3)]
    with capture_logs() as logs:
        async with serve_asgi(create_service_app(settings, spec), lifespan="on") as url, httpx.AsyncClient(
            base_url=url, timeout=10
        ) as client:
            await eventually(lambda: _ready(client), timeout_s=60)
            await produce_raw(infra.kafka_bootstrap, infra.topic(TOPIC_COMPLAINT_SUBMITTED), [_wire(e) for e in events])

            status, checks = await eventually(lambda: _not_ready(client), timeout_s=30)
            assert status == 503
            assert checks[check].startswith("stalled: lag ")
            assert " for " in checks[check]
            assert checks["database"] == "ok" and checks["kafka"] == "ok"
            stalled = [line for line in logs if line["event"] == "progress_stalled"]
            assert stalled and stalled[0]["check"] == check
            assert stalled[0]["reason"].startswith("stalled: lag ")

            release.set()
            await eventually(lambda: _ready(client), timeout_s=30)
            await eventually(lambda: len(handled) == len(events), timeout_s=30)
            assert sorted(handled) == sorted(e.data.complaint_id for e in events)
    assert any(line["event"] == "progress_resumed" and line["check"] == check for line in logs)


async def _ready(client: httpx.AsyncClient) -> bool:
    status, _checks = await _readiness(client)
    return status == 200


async def _not_ready(client: httpx.AsyncClient) -> tuple[int, dict[str, str]] | None:
    status, checks = await _readiness(client)
    return (status, checks) if status != 200 else None


async def test_a_dead_letter_publisher_that_cannot_reach_a_broker_reports_itself_stuck(infra, messaging_pool):
    # The dead-letter path points at a port where no broker listens: a poison message makes
    # the publisher retry, and both it and its consumer say so.
    topic = f"test.readiness.{uuid.uuid4().hex}"
    dead_letters = DeadLetterPublisher(bootstrap=f"127.0.0.1:{free_port()}", source="sigap/test")
    consumer = event_consumer(
        infra,
        messaging_pool,
        name="test.stuck",
        topics=[topic],
        handlers={ComplaintSubmitted.event_type: _never_called},
        dead_letters=dead_letters,
    )
    await produce_raw(infra.kafka_bootstrap, topic, [(b"poison", b"\x00 not an event", [])])
    task = asyncio.create_task(consumer.run())
    try:
        reason = await eventually(lambda: dead_letters.stuck(after_s=1.0), timeout_s=30)
        assert reason.startswith("stuck: retrying for ")
        stalled = await eventually(lambda: consumer.stalled(after_s=1.0), timeout_s=30)
        assert stalled.startswith("stalled: lag 1 for ")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()


async def _never_called(*, conn, envelope: Envelope) -> None:
    raise AssertionError("only a poison message is sent")
