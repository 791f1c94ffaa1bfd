"""The retention job: a complaint closed (selesai or ditolak) for longer than
`SIGAP_PERSONAL_DATA_RETENTION_DAYS` loses its reporter's personal data (see
`commands.erase_complaint`), with a privacy-audit row each. Run on a schedule by every replica;
a complaint is erased at most once (its `personal_data_erased_at`), so runs may overlap."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from sigap_intake.photos.storage import PhotoStore
from sigap_intake.privacy import commands, repository
from sigap_intake.privacy.elsewhere import HeldElsewhere
from sigap_shared.db import TRANSIENT_DB_ERRORS

log = structlog.get_logger(__name__)

BATCH = 200


async def erase_expired(
    *,
    pool: asyncpg.Pool,
    store: PhotoStore,
    elsewhere: HeldElsewhere | None,
    retention_days: int,
    now: datetime | None = None,
) -> int:
    """One run: every complaint closed before `now - retention_days`, in batches. Returns how
    many complaints this run erased."""
    closed_before = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    erased = 0
    while True:
        async with pool.acquire() as conn:
            due = await repository.complaints_due_for_erasure(conn=conn, closed_before=closed_before, limit=BATCH)
            done = 0
            for complaint_id in due:
                try:
                    done += await commands.erase_complaint(
                        conn=conn,
                        store=store,
                        complaint_id=complaint_id,
                        actor=commands.RETENTION_ACTOR,
                        actor_role=commands.RETENTION_ROLE,
                        reason=f"retention: closed more than {retention_days} days ago",
                        elsewhere=elsewhere,
                    )
                except TRANSIENT_DB_ERRORS:
                    raise
                except Exception:
                    # One complaint's failure (e.g. the photo store) must not hold back the others;
                    # it stays due and is tried again next run.
                    log.exception("personal_data_erasure_failed", complaint_id=str(complaint_id))
        erased += done
        if len(due) < BATCH or done == 0:
            break
    if erased:
        log.info("personal_data_retention_run", erased=erased, retention_days=retention_days)
    return erased


async def run_retention(
    *, pool: asyncpg.Pool, store: PhotoStore, elsewhere: HeldElsewhere | None, retention_days: int, every_s: float
) -> None:
    """The scheduled loop, for the service's lifetime."""
    while True:
        try:
            await erase_expired(pool=pool, store=store, elsewhere=elsewhere, retention_days=retention_days)
        except TRANSIENT_DB_ERRORS as error:
            log.warning("personal_data_retention_postponed", error=str(error))
        await asyncio.sleep(every_s)
