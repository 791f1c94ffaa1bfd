"""The SLA sweep: every running deadline that has passed is reported once, as one
`ComplaintSlaBreached` each, with a timeline entry; run in the background beside the app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_shared.db import TRANSIENT_DB_ERRORS
from sigap_shared.events import ComplaintSlaBreached, Envelope
from sigap_shared.outbox import add_to_outbox
from sigap_status.complaints.queries import TimelineEntry, add_timeline_entries
from sigap_status.escalation.sweep import Escalation, sweep_escalations
from sigap_status.lapor.commands import close_quiet_complaints
from sigap_status.lapor.rules import LaporPolicy
from sigap_status.lifecycle.rules import SOURCE, SYSTEM_ACTOR
from sigap_status.sla import queries

log = structlog.get_logger(__name__)


async def sweep_sla_breaches(*, conn: asyncpg.Connection, now: datetime | None = None, limit: int = 500) -> int:
    """Report every running deadline that has passed, once: one `ComplaintSlaBreached` each."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        rows = await queries.claim_breached(conn=conn, now=now, limit=limit)
        if not rows:
            return 0
        envelopes = [
            Envelope(source=SOURCE, data=ComplaintSlaBreached(**queries.overdue_deadline(row), breached_at=now))
            for row in rows
        ]
        await queries.mark_breached(conn=conn, complaint_ids=[row["id"] for row in rows], at=now)
        await add_timeline_entries(conn=conn, entries=[_breach_entry(envelope) for envelope in envelopes])
        await add_to_outbox(conn=conn, envelopes=envelopes)
    log.info("sla_breaches_reported", count=len(rows))
    return len(rows)


def _breach_entry(envelope: Envelope) -> TimelineEntry:
    breach = envelope.data
    assert isinstance(breach, ComplaintSlaBreached)
    detail = {"stage": breach.stage, "due_at": breach.due_at, "escalate_to": list(breach.escalate_to)}
    return TimelineEntry.of(envelope, at=breach.breached_at, actor=SYSTEM_ACTOR, detail=detail)


async def run_sla_sweep(
    pool: asyncpg.Pool, *, interval_s: float, escalation: Escalation | None = None, lapor: LaporPolicy | None = None
) -> None:
    """Report passed deadlines, then climb their escalation ladders (with `escalation`) and close
    finished complaints nobody reacted to (with `lapor`, docs/lapor.md), until cancelled.
    Replicas may run it side by side: rows are claimed with SKIP LOCKED and marked in the same
    transaction, so each breach, escalation step or closing goes out once."""
    while True:
        try:
            async with pool.acquire() as conn:
                while await sweep_sla_breaches(conn=conn) > 0:
                    pass
                if escalation is not None:
                    while await sweep_escalations(conn=conn, escalation=escalation) > 0:
                        pass
                while lapor is not None and await close_quiet_complaints(conn=conn, policy=lapor) > 0:
                    pass
        except asyncio.CancelledError:
            raise
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("sla_sweep_database_unavailable", error=repr(exc))
        except Exception:
            log.exception("sla_sweep_failed")
        await asyncio.sleep(interval_s)
