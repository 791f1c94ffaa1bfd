"""Kafka clients configured the Sigap way: idempotent producers with acks=all, topics created
up front with enough partitions, a cheap reachability probe for readiness checks, and the line
between a broker that is away (retry) and a record it refuses (retrying cannot help)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaClient, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    BrokerResponseError,
    ClusterAuthorizationFailedError,
    DuplicateSequenceNumber,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    KafkaError,
    OutOfOrderSequenceNumber,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

log = structlog.get_logger(__name__)


def new_producer(bootstrap: str, *, client_id: str, idempotent: bool = True) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=idempotent,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


# Non-retriable answers that blame the producer's session (sequence numbers, epoch) or the
# deployment, not the record: a fresh producer, or an operator, cures them, so they are retried.
_NOT_THE_RECORDS_FAULT: tuple[type[BrokerResponseError], ...] = (
    OutOfOrderSequenceNumber,
    DuplicateSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    ClusterAuthorizationFailedError,
)


def refused_record(error: BaseException) -> bool:
    """True when the broker, or the producer's own size check, refused a record for what it is
    (too large, invalid, a topic it may not write to): sending it again can only fail again.
    Everything else (broker away, timeouts, leader changes: aiokafka's `retriable` errors, and
    a broken producer session) is worth retrying."""
    return (
        isinstance(error, BrokerResponseError)
        and not error.retriable
        and not isinstance(error, _NOT_THE_RECORDS_FAULT)
    )


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int,
    replication_factor: int = 1,
    min_insync_replicas: int = 1,
) -> None:
    """Create missing topics with `replication_factor` copies, of which `min_insync_replicas`
    must hold a record before an acks=all producer hears it is stored; existing topics are left
    as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics if name not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [
                    NewTopic(
                        name=name,
                        num_partitions=partitions,
                        replication_factor=replication_factor,
                        topic_configs={"min.insync.replicas": str(min_insync_replicas)},
                    )
                    for name in missing
                ]
            )
        except TopicAlreadyExistsError:
            pass
        log.info(
            "kafka_topics_created",
            topics=missing,
            partitions=partitions,
            replication_factor=replication_factor,
            min_insync_replicas=min_insync_replicas,
        )
    finally:
        await admin.close()


async def ensure_topics_when_available(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int,
    replication_factor: int = 1,
    min_insync_replicas: int = 1,
    retry_s: float = 2.0,
) -> None:
    """Keep trying until the broker answers; a service must start even while Kafka is down."""
    wanted = list(topics)
    while True:
        try:
            await ensure_topics(
                bootstrap,
                wanted,
                partitions=partitions,
                replication_factor=replication_factor,
                min_insync_replicas=min_insync_replicas,
            )
            return
        except (KafkaError, OSError, asyncio.TimeoutError) as exc:
            log.warning("kafka_unavailable_topics_pending", error=repr(exc), retry_in_s=retry_s)
            await asyncio.sleep(retry_s)


async def kafka_reachable(bootstrap: str, *, timeout_s: float = 3.0) -> bool:
    """True when a broker answers a metadata request."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_s)
        return True
    except (KafkaError, OSError, asyncio.TimeoutError):
        return False
    finally:
        await client.close()
