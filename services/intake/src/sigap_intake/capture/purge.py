"""The scheduled clean-up of what live captures leave behind: capture sessions never used,
once their window is long over, and the stored original of a rejected upload nobody attached.
Idempotent, in small batches, by one replica at a time (an advisory lock), and skipping rows
an upload holds at that moment (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from sigap_intake.capture import repository
from sigap_intake.photos.storage import PhotoStore
from sigap_shared.db import TRANSIENT_DB_ERRORS

log = structlog.get_logger(__name__)

PURGE_LOCK_KEY = 0x5E1D01
BATCH = 500


@dataclass(frozen=True, slots=True)
class PurgePolicy:
    # An unused session is deleted this long after its window ended (a late upload is
    # refused as expired meanwhile rather than as unknown).
    unused_session_grace: timedelta = timedelta(hours=1)
    # A rejected upload's file is kept this long, for the citizen's retry or a look by support.
    rejected_keep: timedelta = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Purged:
    sessions: int = 0
    rejected_photos: int = 0
    files: int = 0


async def purge_once(
    *, conn: asyncpg.Connection, store: PhotoStore, policy: PurgePolicy, now: datetime | None = None
) -> Purged:
    """One pass; another replica's pass already running makes this one do nothing."""
    now = now or datetime.now(UTC)
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", PURGE_LOCK_KEY):
        return Purged()
    try:
        sessions = 0
        while True:
            deleted = await repository.delete_unused_capture_sessions(
                conn=conn, expired_before=now - policy.unused_session_grace, limit=BATCH
            )
            sessions += deleted
            if deleted < BATCH:
                break
        photos = files = 0
        while True:
            claimed, removed = await _purge_rejected_batch(conn=conn, store=store, policy=policy, now=now)
            photos, files = photos + claimed, files + removed
            if claimed < BATCH:
                break
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", PURGE_LOCK_KEY)
    purged = Purged(sessions=sessions, rejected_photos=photos, files=files)
    if sessions or photos:
        log.info("capture_leftovers_purged", sessions=sessions, rejected_photos=photos, files=files)
    return purged


async def _purge_rejected_batch(
    *, conn: asyncpg.Connection, store: PhotoStore, policy: PurgePolicy, now: datetime
) -> tuple[int, int]:
    async with conn.transaction():
        keys = await repository.claim_rejected_uploads(
            conn=conn, uploaded_before=now - policy.rejected_keep, limit=BATCH, purged_at=now
        )
        claimed = len(keys)
        removed = 0
        # In key order, so two passes (or a pass and uploads) never wait on each other in a circle.
        for key in sorted(set(keys)):
            await repository.lock_original_file(conn=conn, original_key=key)
            if await repository.original_still_used(conn=conn, original_key=key):
                continue
            # Deleted before the rows commit: a failed commit leaves rows that a later pass
            # claims again and a file already gone, which deleting again does not mind.
            await asyncio.to_thread(store.delete, key)
            removed += 1
    return claimed, removed


async def run_purge(
    *, pool: asyncpg.Pool, store: PhotoStore, policy: PurgePolicy, interval_s: float
) -> None:
    """The job: a pass every `interval_s` for the life of the process."""
    while True:
        try:
            async with pool.acquire() as conn:
                await purge_once(conn=conn, store=store, policy=policy)
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("capture_purge_database_unavailable", error=repr(exc))
        except Exception:
            # The storage may fail in ways of its own (S3): the next pass tries again.
            log.exception("capture_purge_failed")
        await asyncio.sleep(interval_s)
