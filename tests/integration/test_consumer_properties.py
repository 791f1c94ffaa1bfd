"""Property-based tests of every service's consumers, as each service's bootstrap builds them,
on the real broker: arbitrary keys, headers (names and values, UTF-8 or not, null values) and
values, from a few bytes up to the broker's limit, sent to every topic a service consumes.
Each message is applied (or, being another consumer's event type, passed over) or
dead-lettered, and a valid marker event sent behind each batch on every partition it used is
handled: the consumer is still consuming."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sigap_intake import bootstrap as intake_bootstrap
from sigap_intake.settings import IntakeSettings
from sigap_notify import bootstrap as notify_bootstrap
from sigap_notify.settings import NotifySettings
from sigap_routing import bootstrap as routing_bootstrap
from sigap_routing.settings import RoutingSettings
from sigap_shared.events import (
    EVENT_TYPES,
    TOPIC_COMPLAINT_FOLLOWUP,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_SLA,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SUBMITTED,
    TOPIC_DEAD_LETTER,
    ComplaintInformationAdded,
    ComplaintRouted,
    ComplaintSlaBreached,
    ComplaintStatusChanged,
    Envelope,
    EventDecodeError,
    EventPayload,
    decode,
    encode,
)
from sigap_shared.runtime import ConsumerSpec, Runtime, ServiceSpec, start_runtime, stop_runtime
from sigap_shared.settings import ServiceSettings
from sigap_status import bootstrap as status_bootstrap
from sigap_status.settings import StatusSettings
from tests.support.factories import submitted_envelope
from tests.support.infra import random_name
from tests.support.kafka import eventually, raw_record_size, send_raw_record

pytestmark = pytest.mark.integration

SERVICES: dict[str, tuple[type[ServiceSettings], Callable[..., ServiceSpec]]] = {
    "intake": (IntakeSettings, intake_bootstrap.build_spec),
    "routing": (RoutingSettings, routing_bootstrap.build_spec),
    "status": (StatusSettings, status_bootstrap.build_spec),
    "notify": (NotifySettings, lambda _settings: notify_bootstrap.service_spec()),
}
PARTITIONS = 2
# Per service; every example sends one to three messages and a marker per partition used.
EXAMPLES = 15

Wire = tuple[bytes | None, bytes | None, list[tuple[bytes, bytes | None]]]


def _marker(topic: str) -> Envelope:
    """A valid event on `topic` that every consumer of the topic applies."""
    complaint_id, now, code = uuid.uuid4(), datetime.now(UTC), "SGP-MARK-" + uuid.uuid4().hex[:2].upper()
    payloads: dict[str, Callable[[], EventPayload]] = {
        TOPIC_COMPLAINT_ROUTED: lambda: ComplaintRouted(
            complaint_id=complaint_id, tracking_code=code, department="DISHUB", confidence=1.0,
            needs_triage=False, routed_at=now,
        ),
        TOPIC_COMPLAINT_STATUS: lambda: ComplaintStatusChanged(
            complaint_id=complaint_id, tracking_code=code, department="DISHUB", status="terverifikasi",
            actor="petugas.dishub", changed_at=now,
        ),
        TOPIC_COMPLAINT_SLA: lambda: ComplaintSlaBreached(
            complaint_id=complaint_id, tracking_code=code, department="DISHUB", status="diterima",
            stage="verify", due_at=now, breached_at=now,
        ),
        TOPIC_COMPLAINT_FOLLOWUP: lambda: ComplaintInformationAdded(
            complaint_id=complaint_id, tracking_code=code, text="Lubangnya makin besar", added_at=now,
        ),
    }
    if topic == TOPIC_COMPLAINT_SUBMITTED:
        return submitted_envelope()
    return Envelope(source="sigap/test", data=payloads[topic]())


def _wire(envelope: Envelope) -> Wire:
    record = encode(envelope)
    return record.key, record.value, [(name.encode(), raw) for name, raw in record.headers]


# -- what a message can be ---------------------------------------------------------------------

CLOUDEVENT_HEADERS = [b"ce_specversion", b"ce_id", b"ce_source", b"ce_type", b"ce_time", b"ce_subject", b"content-type"]
header_names = st.one_of(st.sampled_from(CLOUDEVENT_HEADERS), st.binary(max_size=12))
header_values = st.one_of(
    st.none(),
    st.binary(max_size=40),
    st.sampled_from([b"1.0", b"application/json", b"sigap/test", str(uuid.uuid4()).encode()]),
    st.sampled_from(sorted(EVENT_TYPES)).map(str.encode),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=6)
keys = st.one_of(st.none(), st.binary(max_size=40))


def _filled(size: int, pattern: str, seed: int) -> bytes:
    if pattern == "random":
        return random.Random(seed).randbytes(size)
    if pattern == "nul":
        return b"\x00" * size
    if pattern == "text":  # multi-byte characters, cut wherever the size falls
        return ("é" * size).encode()[:size]
    return b'{"complaint_id": "' + b"7" * max(size - 20, 0) + b'"}'


@st.composite
def messages(draw: st.DrawFn, topic: str, limit: int) -> Wire:
    """One message for `topic`: junk, or a valid event perhaps with junk headers added, of
    any size up to what the broker accepts (large ones sparingly)."""
    if draw(st.booleans()):
        key, value, names = draw(keys), draw(st.one_of(st.none(), st.binary(max_size=200))), draw(headers)
    else:
        event = _marker(topic)
        if topic == TOPIC_COMPLAINT_SUBMITTED:
            description = draw(st.text(max_size=60))  # NUL, surrogates' neighbours, emoji...
            event = Envelope(source="sigap/test", data=event.data.model_copy(update={"description": description}))
        key, value, names = _wire(event)
        names = names + draw(st.lists(st.tuples(header_names, header_values), max_size=2))
    if draw(st.integers(0, 5)) == 0:  # large: a value up to the broker's limit
        room = limit - raw_record_size(key, b"", names) - 64
        size = draw(st.integers(min_value=room // 2, max_value=room))
        value = _filled(size, draw(st.sampled_from(["random", "nul", "text", "json"])), draw(st.integers()))
    return key, value, names


# -- a running service, its dead letters and a producer -----------------------------------------


@dataclass
class RunningService:
    runtime: Runtime
    prefix: str
    consumed: list[tuple[str, ConsumerSpec]]  # (consumer name, spec) for every topic consumed
    topics: list[tuple[str, str]]
    limit: int
    producer: AIOKafkaProducer
    letters: dict[tuple[str, int, int], dict] = field(default_factory=dict)


async def _topic_limit(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": None})]
        )
    finally:
        await admin.close()
    entries = response[0].resources[0][4]
    return int(next(value for name, value, *_ in entries if name == "max.message.bytes"))


async def _read_dead_letters(bootstrap: str, topic: str, letters: dict[tuple[str, int, int], dict]) -> None:
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await reader.start()
    try:
        async for record in reader:
            body = orjson.loads(record.value)
            letters[(body["original_topic"], body["original_partition"], body["original_offset"])] = body
    finally:
        await reader.stop()


@pytest.fixture(scope="module", params=sorted(SERVICES))
async def service(request, infra, databases) -> AsyncIterator[RunningService]:
    settings_class, build_spec = SERVICES[request.param]
    prefix = f"{infra.topic_prefix}props{uuid.uuid4().hex[:6]}."
    settings = settings_class(
        **infra.settings_kwargs(
            database=await databases.create(f"props_{request.param}"),
            group_prefix=random_name("props"),
            topic_prefix=prefix,
        ),
        kafka_topic_partitions=PARTITIONS,
        consumer_max_attempts=2,
    )
    spec = build_spec(settings)
    runtime = await start_runtime(settings, spec)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, max_request_size=4 * 1024 * 1024)
    reader: asyncio.Task | None = None
    try:
        await eventually(lambda: all(c.assigned.is_set() for c in runtime.consumers), timeout_s=90)
        await producer.start()
        running = RunningService(
            runtime=runtime,
            prefix=prefix,
            consumed=[(f"{settings.service_name}.{c.name}", c) for c in spec.consumers],
            topics=[(f"{settings.service_name}.{c.name}", topic) for c in spec.consumers for topic in c.topics],
            limit=await _topic_limit(infra.kafka_bootstrap, prefix + TOPIC_COMPLAINT_SUBMITTED),
            producer=producer,
        )
        reader = asyncio.create_task(
            _read_dead_letters(infra.kafka_bootstrap, prefix + TOPIC_DEAD_LETTER, running.letters)
        )
        yield running
    finally:
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await producer.stop()
        await stop_runtime(runtime)


async def _claimed(service: RunningService, consumer: str, event_id: uuid.UUID) -> bool:
    return bool(
        await service.runtime.pool.fetchval(
            "SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2", consumer, event_id
        )
    )


async def _make_known(service: RunningService, consumer: str, marker: Envelope) -> None:
    """A consumer that also reads submissions (status) refuses a follow-up of a complaint it
    has not seen: its submission goes first."""
    spec = next(spec for name, spec in service.consumed if name == consumer)
    if marker.topic == TOPIC_COMPLAINT_SUBMITTED or TOPIC_COMPLAINT_SUBMITTED not in spec.topics:
        return
    submitted = submitted_envelope()
    submitted = Envelope(
        source="sigap/test", data=submitted.data.model_copy(update={"complaint_id": marker.data.complaint_id})
    )
    key, value, names = _wire(submitted)
    await send_raw_record(
        service.producer, service.prefix + TOPIC_COMPLAINT_SUBMITTED, partition=0, key=key, value=value, headers=names
    )
    await eventually(lambda: _claimed(service, consumer, submitted.id), timeout_s=60)


async def _accounted_for(service: RunningService, consumer: str, wire: Wire, where: tuple[str, int, int]) -> bool:
    """Dead-lettered, applied (claimed in the inbox), or an event type this consumer ignores."""
    if where in service.letters:
        return True
    key, value, names = wire
    try:
        envelope = decode([(name.decode(), raw) for name, raw in names], value)
    except (UnicodeDecodeError, EventDecodeError):
        return False  # only a dead letter accounts for it
    handled = next(spec for name, spec in service.consumed if name == consumer).handlers
    return envelope.type not in handled or await _claimed(service, consumer, envelope.id)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # Each attempt waits on a real consumer, so shrinking a failure would take many minutes:
    # the failing example is reported as generated (messages are few and small-ish anyway).
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_every_message_is_applied_or_dead_lettered_and_the_consumer_keeps_consuming(service, data):
    consumer, topic = data.draw(st.sampled_from(service.topics), label="consumer and topic")
    batch = data.draw(st.lists(messages(topic, service.limit), min_size=1, max_size=3), label="messages")
    sent = []
    for wire in batch:
        partition = data.draw(st.integers(0, PARTITIONS - 1), label="partition")
        key, value, names = wire
        metadata = await send_raw_record(
            service.producer, service.prefix + topic, partition=partition, key=key, value=value, headers=names
        )
        sent.append((wire, (metadata.topic, metadata.partition, metadata.offset)))
    # Behind everything sent, on each partition used: a valid event the consumer must handle.
    markers = []
    for partition in sorted({where[1] for _, where in sent}):
        marker = _marker(topic)
        await _make_known(service, consumer, marker)
        key, value, names = _wire(marker)
        await send_raw_record(
            service.producer, service.prefix + topic, partition=partition, key=key, value=value, headers=names
        )
        markers.append(marker)
    for marker in markers:
        await eventually(lambda marker=marker: _claimed(service, consumer, marker.id), timeout_s=60)
    for wire, where in sent:
        await eventually(lambda wire=wire, where=where: _accounted_for(service, consumer, wire, where), timeout_s=30)
