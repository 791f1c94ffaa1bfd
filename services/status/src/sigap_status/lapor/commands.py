"""LAPOR!'s commands: an admin postpones (tunda), resumes (lanjutkan) or archives (arsipkan) a
complaint, and the sweep closes finished complaints nobody reacted to. One transaction each,
the complaint's row locked, a timeline entry for every action and the normal status-changed
event where the status record changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_shared.events import AUTO_CLOSE_REASON, ComplaintStatusChanged, Envelope
from sigap_shared.outbox import add_to_outbox
from sigap_status.complaints.queries import TimelineEntry, add_timeline_entries
from sigap_status.complaints.visibility import complaint_view
from sigap_status.lapor import queries, rules
from sigap_status.lifecycle import commands as lifecycle
from sigap_status.lifecycle.rules import SOURCE, SYSTEM_ACTOR, ComplaintView, MissingInformation, TransitionRequest
from sigap_status.sla.rules import SlaPolicy

log = structlog.get_logger(__name__)

POSTPONED = "sigap.lapor.postponed"
RESUMED = "sigap.lapor.resumed"
ARCHIVED = "sigap.lapor.archived"

AUTO_CLOSE_NOTE = Text(
    "Ditutup otomatis: tidak ada tanggapan dalam masa tanggapan setelah tindak lanjut.",
    "Closed automatically: no response within the window after the follow-up.",
)


def _check_may_administer(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    rules.check_may_administer(staff, complaint.department)


async def _lock(
    *, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID, expected_version: int
) -> asyncpg.Record:
    return await lifecycle.lock_for_change(
        conn=conn, staff=staff, complaint_id=complaint_id, expected_version=expected_version, check=_check_may_administer
    )


async def set_postponement(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    reason: str | None,
    expected_version: int,
    policy: SlaPolicy,
    now: datetime | None = None,
) -> asyncpg.Record:
    """Tunda (with a reason): the complaint waits and its SLA deadline stops meanwhile.
    Lanjutkan (no reason): the postponement ends and the deadline is pushed back by the working
    days it lasted."""
    now = now or datetime.now(UTC)
    postponing = reason is not None
    async with conn.transaction():
        row = await _lock(conn=conn, staff=staff, complaint_id=complaint_id, expected_version=expected_version)
        rules.check_action(row, "tunda" if postponing else "lanjutkan")
        due_at, paused_at = row["sla_due_at"], row["sla_paused_at"]
        if postponing:
            # A deadline already paused (waiting for the reporter) stays paused from then.
            paused_at = paused_at or (now if due_at is not None else None)
        else:
            if due_at is not None and paused_at is not None:
                due_at = policy.calendar.resume(due_at=due_at, paused_at=paused_at, resumed_at=now)
            paused_at = None
        await queries.set_postponed(
            conn=conn,
            complaint_id=complaint_id,
            postponed_at=now if postponing else None,
            reason=reason,
            paused_at=paused_at,
            due_at=due_at,
        )
        updated = await lifecycle.record_staff_action(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            event_type=POSTPONED if postponing else RESUMED,
            at=now,
            detail={"reason": reason} if postponing else {"due_at": due_at},
        )
    event = "complaint_postponed" if postponing else "complaint_resumed"
    log.info(event, complaint_id=str(complaint_id), actor_role=staff.role)
    return updated


async def archive(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    reason: str,
    duplicate_of: UUID | None,
    note: str | None,
    expected_version: int,
    policy: SlaPolicy,
    now: datetime | None = None,
    correlation_id: str | None = None,
) -> asyncpg.Record:
    """Arsipkan: reject as spam or as a duplicate (the normal rejection, with its event and
    timeline entry) and record that it was archived."""
    now = now or datetime.now(UTC)
    if reason not in rules.ARCHIVE_REASONS:
        raise MissingInformation(
            "reason",
            Text(
                "Alasan pengarsipan wajib: " + ", ".join(rules.ARCHIVE_REASONS),
                "An archive reason is required: " + ", ".join(rules.ARCHIVE_REASONS),
            ),
        )
    async with conn.transaction():
        await _lock(conn=conn, staff=staff, complaint_id=complaint_id, expected_version=expected_version)
        await lifecycle.transition_complaint(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            request=TransitionRequest(
                to="ditolak", expected_version=expected_version, reason=reason, note=note, duplicate_of=duplicate_of
            ),
            policy=policy,
            now=now,
            correlation_id=correlation_id,
        )
        await queries.mark_archived(conn=conn, complaint_id=complaint_id, at=now)
        updated = await lifecycle.record_staff_action(
            conn=conn, staff=staff, complaint_id=complaint_id, event_type=ARCHIVED, at=now, detail={"reason": reason}
        )
    log.info("complaint_archived", complaint_id=str(complaint_id), reason=reason, actor_role=staff.role)
    return updated


async def close_quiet_complaints(
    *, conn: asyncpg.Connection, policy: rules.LaporPolicy, now: datetime | None = None, limit: int = 200
) -> int:
    """Close every finished complaint whose follow-up is `close_days` working days old with no
    reaction (a reopen would have moved it out of `selesai`), once: the normal status-changed
    event (`selesai` → `selesai`, reason `ditutup_otomatis`) and a timeline entry each."""
    now = now or datetime.now(UTC)
    # N working days never span fewer than N calendar days: a cheap bound for the index.
    resolved_before = now - timedelta(days=policy.close_days)
    async with conn.transaction():
        rows = await queries.claim_closable(conn=conn, resolved_before=resolved_before, limit=limit)
        # Oldest first, so the due ones are a prefix: the rest wait for a later sweep.
        due = [row for row in rows if rules.due_to_close(resolved_at=row["resolved_at"], policy=policy, now=now)]
        if not due:
            return 0
        envelopes = [_auto_close_event(row, now=now) for row in due]
        await queries.mark_closed(conn=conn, complaint_ids=[row["id"] for row in due], at=now)
        await add_timeline_entries(
            conn=conn,
            entries=[
                TimelineEntry.of(
                    envelope,
                    at=now,
                    actor=SYSTEM_ACTOR,
                    detail={
                        "from": "selesai",
                        "to": "selesai",
                        "reason": AUTO_CLOSE_REASON,
                        "lapor_stage": "ditutup",
                        "follow_up_at": row["resolved_at"],
                    },
                )
                for envelope, row in zip(envelopes, due, strict=True)
            ],
        )
        await add_to_outbox(conn=conn, envelopes=envelopes)
    log.info("lapor_complaints_closed", count=len(due))
    return len(due)


def _auto_close_event(row: asyncpg.Record, *, now: datetime) -> Envelope:
    return Envelope(
        source=SOURCE,
        data=ComplaintStatusChanged(
            complaint_id=row["id"],
            tracking_code=row["tracking_code"],
            department=row["department"] or "",
            previous_status="selesai",
            status="selesai",
            reason=AUTO_CLOSE_REASON,
            actor=SYSTEM_ACTOR,
            actor_role="system",
            note=AUTO_CLOSE_NOTE.id,
            resolution_note=row["resolution_note"],
            reporter=complaint_view(row).reporter,
            changed_at=now,
        ),
    )
