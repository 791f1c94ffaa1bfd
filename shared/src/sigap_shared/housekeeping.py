"""Keeps the outbox and inbox (and any table a service names, see `ExpiringRows`) from
growing without bound: published outbox rows and inbox claims older than their retention are
deleted in small batches, by one replica at a time.

Inbox claims must outlive the longest time Kafka could redeliver an event (the topics'
retention), or a very late redelivery would have a second effect; the default keeps them a
day longer than Kafka's default retention of seven days."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from sigap_shared.db import TRANSIENT_DB_ERRORS

log = structlog.get_logger(__name__)

HOUSEKEEPING_LOCK_KEY = 0x5167A1
BATCH = 5000

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class ExpiringRows:
    """A service's own table whose rows expire `retention_s` after their `timestamp_column`
    (e.g. intake's stored Idempotency-Key responses); purged with the outbox and inbox."""

    table: str
    timestamp_column: str
    retention_s: float

    def __post_init__(self) -> None:
        for name in (self.table, self.timestamp_column):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"not a plain SQL identifier: {name!r}")


async def _purge_expired(*, conn: asyncpg.Connection, table: str, timestamp_column: str, retention_s: float) -> int:
    removed = 0
    while True:
        deleted = await conn.fetchval(
            f"""
            WITH gone AS (
                DELETE FROM {table} WHERE ctid IN (
                    SELECT ctid FROM {table}
                    WHERE {timestamp_column} < now() - make_interval(secs => $1)
                    LIMIT $2)
                RETURNING 1)
            SELECT count(*) FROM gone
            """,
            retention_s,
            BATCH,
        )
        removed += deleted
        if deleted < BATCH:
            return removed


async def purge_once(
    *,
    conn: asyncpg.Connection,
    outbox_retention_s: float,
    inbox_retention_s: float,
    expiring: Sequence[ExpiringRows] = (),
) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each table went."""
    tables = (
        # Unsent rows have no sent_at, so they never expire.
        ExpiringRows("outbox", "sent_at", outbox_retention_s),
        ExpiringRows("inbox", "received_at", inbox_retention_s),
        *expiring,
    )
    removed = {rows.table: 0 for rows in tables}
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", HOUSEKEEPING_LOCK_KEY):
        return removed
    try:
        for rows in tables:
            removed[rows.table] += await _purge_expired(
                conn=conn, table=rows.table, timestamp_column=rows.timestamp_column, retention_s=rows.retention_s
            )
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", HOUSEKEEPING_LOCK_KEY)
    if any(removed.values()):
        log.info("housekeeping_purged", **removed)
    return removed


async def run_housekeeping(
    *,
    pool: asyncpg.Pool,
    outbox_retention_s: float,
    inbox_retention_s: float,
    expiring: Sequence[ExpiringRows] = (),
    interval_s: float = 600,
) -> None:
    while True:
        try:
            async with pool.acquire() as conn:
                await purge_once(
                    conn=conn,
                    outbox_retention_s=outbox_retention_s,
                    inbox_retention_s=inbox_retention_s,
                    expiring=expiring,
                )
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("housekeeping_database_unavailable", error=repr(exc))
        await asyncio.sleep(interval_s)
