"""Erasing what status holds about a complaint's reporter (UU 27/2022), when intake erases the
reporter's personal data: the pseudonym and channels on the complaint and in the events status
keeps in its outbox, and the free texts of the complaint's timeline and record (what the reporter
wrote, what staff wrote to them or about the case), whose entries stay. The erasure is remembered
per complaint (`erased_reporters`), so an event handled later (the submission may arrive after
the erasure) stores no reporter, an entry written before the erasure is stored without its
texts, and status's own events about the complaint name no reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_shared import erasure
from sigap_shared.outbox import drop_reporter_from_outbox
from sigap_status.personal_data import repository

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReporterErased:
    complaint_id: UUID
    complaint_known: bool
    reporter_erased: bool  # a pseudonym or channels were still on the complaint
    outbox_events_cleared: int
    reporter_erased_at: datetime


async def erase_reporter(*, conn: asyncpg.Connection, complaint_id: UUID, now: datetime | None = None) -> ReporterErased:
    """Idempotent: a second erasure finds nothing left and keeps the first one's time."""
    async with conn.transaction():
        erased_at = await erasure.remember_erasure(conn=conn, complaint_id=complaint_id, at=now or datetime.now(UTC))
        complaint = await repository.erase_reporter_of_complaint(
            conn=conn, complaint_id=complaint_id, erased_at=erased_at
        )
        # After the complaint's row lock: a handler that changed the complaint before it has
        # committed its timeline entries, and one waiting for the lock sees the erasure.
        texts = await repository.erase_timeline_texts(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
        await repository.erase_outbox_texts(conn=conn, complaint_id=complaint_id)
        cleared = await drop_reporter_from_outbox(conn=conn, complaint_id=complaint_id)
    erased = ReporterErased(
        complaint_id=complaint_id,
        complaint_known=complaint is not None,
        reporter_erased=bool(complaint and complaint["had_reporter"]),
        outbox_events_cleared=cleared,
        reporter_erased_at=complaint["reporter_erased_at"] if complaint else erased_at,
    )
    log.info(
        "reporter_erased",
        complaint_id=str(complaint_id),
        complaint_known=erased.complaint_known,
        outbox_events_cleared=cleared,
        timeline_texts_erased=texts,
    )
    return erased
