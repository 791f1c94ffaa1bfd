"""Erasing what routing holds about a complaint's reporter (UU 27/2022), when intake erases the
reporter's personal data: the pseudonym and channels kept with the decision and in the events
routing keeps in its outbox, and the free texts staff wrote about the complaint up to the erasure
(the reasons of its transfers and joint handling, in the history and the outbox's events), which
may name or quote the reporter; the entries, codes, departments and times stay. The erasure is remembered per complaint (`erased_reporters`), so a
submission handled later (the erasure may overtake it on Kafka) is decided on without its
reporter, and its ComplaintRouted names none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_routing.personal_data import repository
from sigap_shared import erasure

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReporterErased:
    complaint_id: UUID
    complaint_known: bool
    reporter_erased: bool  # a pseudonym or channels were still kept with the decision
    outbox_events_cleared: int
    history_reasons_cleared: int
    reporter_erased_at: datetime


async def erase_reporter(*, conn: asyncpg.Connection, complaint_id: UUID, now: datetime | None = None) -> ReporterErased:
    """Idempotent: a second erasure finds nothing left and keeps the first one's time."""
    async with conn.transaction():
        await repository.lock_complaints(conn=conn, complaint_ids=[complaint_id])
        erased_at = await erasure.remember_erasure(conn=conn, complaint_id=complaint_id, at=now or datetime.now(UTC))
        decision = await repository.erase_reporter_of_decision(conn=conn, complaint_id=complaint_id)
        reasons = await repository.clear_history_reasons(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
        # The routed and delegation events (sent or still waiting) carry them too.
        cleared = await repository.clear_outbox(conn=conn, complaint_id=complaint_id, erased_at=erased_at)
    erased = ReporterErased(
        complaint_id=complaint_id,
        complaint_known=decision is not None,
        reporter_erased=bool(decision and decision["had_reporter"]),
        outbox_events_cleared=cleared,
        history_reasons_cleared=reasons,
        reporter_erased_at=erased_at,
    )
    log.info(
        "reporter_erased",
        complaint_id=str(complaint_id),
        complaint_known=erased.complaint_known,
        outbox_events_cleared=cleared,
        history_reasons_cleared=reasons,
    )
    return erased
