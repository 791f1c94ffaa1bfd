"""Replaying webhook deliveries parked as dead letters (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import structlog

from sigap_notify.deliveries import repository

log = structlog.get_logger(__name__)


async def replay_dead_letters(
    *, conn: asyncpg.Connection, notification_ids: Sequence[int] | None, department: str | None, replayed_by: str
) -> list[int]:
    """Queue the parked deliveries (all in scope when `notification_ids` is None) again, with a
    fresh set of retries; returns those requeued."""
    async with conn.transaction():
        replayed = await repository.replay_dead_letters(
            conn=conn, notification_ids=notification_ids, department=department, replayed_by=replayed_by
        )
    log.info("webhook_dead_letters_replayed", count=len(replayed), by=replayed_by)
    return replayed
