"""Every department notify has seen gets its own Kafka topic (with the configured partitions),
created once it is first seen; the outbox relay then publishes the department copies there."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from sigap_notify.events import repository
from sigap_notify.events.audience import department_topic
from sigap_notify.settings import NotifySettings
from sigap_shared.kafka import ensure_topics

log = structlog.get_logger(__name__)


async def keep_department_topics(settings: NotifySettings, pool: asyncpg.Pool, *, interval_s: float = 5.0) -> None:
    ensured: set[str] = set()
    while True:
        try:
            async with pool.acquire() as conn:
                departments = await repository.known_departments(conn=conn)
            # Same prefix the outbox relay adds when it publishes (isolated test sessions).
            missing = [
                settings.kafka_topic_prefix + department_topic(code) for code in departments if code not in ensured
            ]
            if missing:
                await ensure_topics(
                    settings.kafka_bootstrap,
                    missing,
                    partitions=settings.kafka_topic_partitions,
                    replication_factor=settings.kafka_replication_factor,
                    min_insync_replicas=settings.kafka_min_insync_replicas,
                )
                ensured.update(departments)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried on the next round; the broker may auto-create meanwhile
            log.warning("department_topics_pending", error=repr(exc))
        await asyncio.sleep(interval_s)
