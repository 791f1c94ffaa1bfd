"""Keeps the outbox and inbox from growing without bound: published outbox rows and inbox
claims older than their retention are deleted in small batches, by one replica at a time.

Inbox claims must outlive the longest time Kafka could redeliver an event (the topics'
retention), or a very late redelivery would have a second effect; the default keeps them a
day longer than Kafka's default retention of seven days."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from sigap_shared.db import TRANSIENT_DB_ERRORS

log = structlog.get_logger(__name__)

HOUSEKEEPING_LOCK_KEY = 0x5167A1
BATCH = 5000


async def purge_once(*, conn: asyncpg.Connection, outbox_retention_s: float, inbox_retention_s: float) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each table went."""
    removed = {"outbox": 0, "inbox": 0}
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", HOUSEKEEPING_LOCK_KEY):
        return removed
    try:
        while True:
            deleted = await conn.fetchval(
                """
                WITH gone AS (
                    DELETE FROM outbox WHERE id IN (
                        SELECT id FROM outbox
                        WHERE sent_at < now() - make_interval(secs => $1)
                        ORDER BY id LIMIT $2)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """,
                outbox_retention_s,
                BATCH,
            )
            removed["outbox"] += deleted
            if deleted < BATCH:
                break
        while True:
            deleted = await conn.fetchval(
                """
                WITH gone AS (
                    DELETE FROM inbox WHERE ctid IN (
                        SELECT ctid FROM inbox
                        WHERE received_at < now() - make_interval(secs => $1)
                        LIMIT $2)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """,
                inbox_retention_s,
                BATCH,
            )
            removed["inbox"] += deleted
            if deleted < BATCH:
                break
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", HOUSEKEEPING_LOCK_KEY)
    if removed["outbox"] or removed["inbox"]:
        log.info("housekeeping_purged", **removed)
    return removed


async def run_housekeeping(
    *, pool: asyncpg.Pool, outbox_retention_s: float, inbox_retention_s: float, interval_s: float = 600
) -> None:
    while True:
        try:
            async with pool.acquire() as conn:
                await purge_once(
                    conn=conn, outbox_retention_s=outbox_retention_s, inbox_retention_s=inbox_retention_s
                )
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("housekeeping_database_unavailable", error=repr(exc))
        await asyncio.sleep(interval_s)
