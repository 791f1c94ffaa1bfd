"""The lifecycle's commands: a staff member moves a complaint along its lifecycle, pauses or
resumes its deadline, assigns a field officer or adds a note; the reporter reopens (through
intake's event). One transaction each, with the complaint's row locked and its events written
to the outbox in that transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_shared.events import ComplaintStatusChanged, Envelope
from sigap_shared.outbox import add_to_outbox
from sigap_status.auth.queries import get_staff_user
from sigap_status.complaints.queries import (
    TimelineEntry,
    add_timeline_entries,
    get_complaint_for_update,
    get_complaint_full,
)
from sigap_status.complaints.visibility import complaint_view, load_visible
from sigap_status.errors import ComplaintNotFound, InvalidInput, StatusError
from sigap_status.intake.client import IntakeClient
from sigap_status.lapor import rules as lapor_rules
from sigap_status.lifecycle import events, queries, rules
from sigap_status.lifecycle.after_photos import claim_live_after_photos
from sigap_status.sla.rules import SlaPolicy

log = structlog.get_logger(__name__)


class NoRunningDeadline(StatusError):
    def __init__(self) -> None:
        super().__init__(
            "no-running-deadline",
            Text(
                "Tidak ada tenggat yang berjalan, atau tenggat sudah dalam keadaan yang diminta.",
                "No deadline is running, or it is already in the requested state.",
            ),
        )


class UnknownOfficer(InvalidInput):
    def __init__(self, officer: str) -> None:
        super().__init__(
            "officer",
            Text("petugas tidak dikenal", "unknown officer"),
            detail=Text(
                f"{officer} bukan petugas lapangan aktif dari dinas penanggung jawab.",
                f"{officer} is not an active field officer of the lead department.",
            ),
        )


async def transition_complaint(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    request: rules.TransitionRequest,
    policy: SlaPolicy,
    intake: IntakeClient | None = None,
    now: datetime | None = None,
    correlation_id: str | None = None,
) -> asyncpg.Record:
    """Move a complaint along its lifecycle; returns the updated complaint.

    Finishing (`selesai`) first claims the after-photos at intake, outside the transaction
    (no row lock is held across an HTTP call): the request is judged once before the claim,
    so a refused change claims nothing, and again under the lock. Claiming is idempotent, so
    a change refused after a claim (e.g. stale) can simply be retried."""
    now = now or datetime.now(UTC)
    verdicts: dict[str, str] = {}
    if request.to == "selesai":
        verdicts = await claim_live_after_photos(
            conn=conn, staff=staff, complaint_id=complaint_id, request=request, intake=intake, now=now
        )
    async with conn.transaction():
        row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
        view = complaint_view(row)
        rules.check_may_act(staff, view)
        envelope = rules.decide_transition(
            view, request, actor_kind=staff.role, actor_name=staff.username, now=now, correlation_id=correlation_id
        )
        change = envelope.data
        assert isinstance(change, ComplaintStatusChanged)
        entries = [_change_entry(envelope, staff, verdicts)]
        if change.duplicate_of is not None:
            await _check_original(conn=conn, staff=staff, row=row, original_id=change.duplicate_of)
            # The original's staff see what was merged into it.
            merged = {"duplicate": complaint_id, "tracking_code": row["tracking_code"]}
            entries.append(
                TimelineEntry.by_staff(
                    staff, complaint_id=change.duplicate_of, event_type=events.DUPLICATE_MERGED, at=now, detail=merged
                )
            )
        await _apply(conn=conn, row=row, change=change, policy=policy, expected_version=request.expected_version)
        await _record(conn=conn, envelope=envelope, entries=entries)
        updated = await current_complaint(conn=conn, complaint_id=complaint_id)
    log.info(
        "complaint_status_changed",
        complaint_id=str(complaint_id),
        previous_status=change.previous_status,
        status=change.status,
        actor_role=staff.role,
    )
    return updated


def _change_entry(envelope: Envelope, staff: StaffPrincipal, verdicts: dict[str, str]) -> TimelineEntry:
    change = envelope.data
    assert isinstance(change, ComplaintStatusChanged)
    detail = {
        "from": change.previous_status,
        "to": change.status,
        "actor_role": staff.role,
        "reason": change.reason,
        "note": change.note,
        "duplicate_of": change.duplicate_of,
        "resolution_note": change.resolution_note,
        "after_photo_ids": list(change.after_photo_ids),
        **({"after_photo_verdicts": verdicts} if verdicts else {}),
    }
    return TimelineEntry.of(envelope, at=change.changed_at, actor=staff.username, detail=detail)


async def _check_original(
    *, conn: asyncpg.Connection, staff: StaffPrincipal, row: asyncpg.Record, original_id: UUID
) -> None:
    original = await get_complaint_full(conn=conn, complaint_id=original_id)
    # One the staff member cannot see gets the same answer as one that does not exist.
    if original is None or not rules.can_see(staff, complaint_view(original)):
        raise rules.MissingInformation(
            "duplicate_of",
            Text("Pengaduan asli (duplicate_of) tidak ditemukan", "The original complaint (duplicate_of) does not exist"),
        )
    rules.check_merge_target(
        submitted_at=row["submitted_at"],
        original_status=original["status"],
        original_submitted_at=original["submitted_at"],
    )


async def _apply(
    *,
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    change: ComplaintStatusChanged,
    policy: SlaPolicy,
    expected_version: int,
) -> None:
    """Store the change and the deadline the new state runs (the running one where the stage
    stays the same: starting work does not restart the follow-up clock that verification
    started, and a change made while waiting for the reporter ends the wait)."""
    now = change.changed_at
    stage, due_at = policy.deadline(status=change.status, category=row["category"], since=now)
    same_deadline = stage is not None and stage == row["sla_stage"] and change.status != "dibuka_kembali"
    if same_deadline:
        due_at = row["sla_due_at"]
        if row["sla_paused_at"] is not None and due_at is not None:
            due_at = policy.calendar.resume(due_at=due_at, paused_at=row["sla_paused_at"], resumed_at=now)
    new_version = await queries.apply_transition(
        conn=conn,
        complaint_id=row["id"],
        expected_version=expected_version,
        status=change.status,
        at=now,
        rejection_reason=change.reason if change.status == "ditolak" else None,
        duplicate_of=change.duplicate_of,
        resolution_note=change.resolution_note,
        after_photo_ids=list(change.after_photo_ids),
        sla_stage=stage,
        sla_due_at=due_at,
        same_deadline=same_deadline,
    )
    if new_version is None:  # cannot happen under FOR UPDATE, but never apply silently
        raise rules.StaleVersion(expected_version, row["version"])


async def _record(*, conn: asyncpg.Connection, envelope: Envelope | None, entries: list[TimelineEntry]) -> None:
    """The change's timeline entries, and its event (if it has one) in the outbox."""
    await add_timeline_entries(conn=conn, entries=entries)
    if envelope is not None:
        await add_to_outbox(conn=conn, envelopes=[envelope])


async def reopen_by_reporter(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    reason: str,
    expected_version: int,
    policy: SlaPolicy,
    now: datetime | None = None,
    announce_reason: bool = True,
) -> None:
    """The reporter reopens a finished complaint. Status has no door for reporters: they ask
    intake (`POST /v1/track/{code}/reopen`), which checks the follow-up token only their device
    holds and the reopen window, and announces the request that brings this here. Without
    `announce_reason` (the reporter was erased after writing it) the change's event carries no
    reason; the timeline entry loses it as every text written before the erasure does."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await get_complaint_for_update(conn=conn, complaint_id=complaint_id)
        if row is None:
            raise ComplaintNotFound(complaint_id)
        lapor_rules.check_reporter_may_reopen(row)
        envelope = rules.decide_transition(
            complaint_view(row),
            rules.TransitionRequest(to="dibuka_kembali", expected_version=expected_version, reason=reason),
            actor_kind="reporter",
            actor_name=rules.REPORTER_ACTOR,
            now=now,
        )
        change = envelope.data
        assert isinstance(change, ComplaintStatusChanged)
        if not announce_reason:
            change = change.model_copy(update={"reason": None})
            envelope = dataclasses.replace(envelope, data=change)
        await _apply(conn=conn, row=row, change=change, policy=policy, expected_version=expected_version)
        detail = {"from": change.previous_status, "to": change.status, "reason": reason}
        entry = TimelineEntry.of(envelope, at=now, actor=rules.REPORTER_ACTOR, detail=detail)
        await _record(conn=conn, envelope=envelope, entries=[entry])
    log.info("complaint_reopened_by_reporter", complaint_id=str(complaint_id))


async def lock_for_change(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    expected_version: int,
    check: Callable[[StaffPrincipal, rules.ComplaintView], None] = rules.check_may_act,
) -> asyncpg.Record:
    """The complaint, locked, once `check` lets `staff` change it at the version they saw."""
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
    view = complaint_view(row)
    check(staff, view)
    if expected_version != view.version:
        raise rules.StaleVersion(expected_version, view.version)
    return row


async def record_staff_action(
    *, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID, event_type: str, at: datetime, detail: dict
) -> asyncpg.Record:
    """A staff action's timeline entry (no event leaves the service); returns the complaint as
    it now stands, for the answer."""
    entry = TimelineEntry.by_staff(staff, complaint_id=complaint_id, event_type=event_type, at=at, detail=detail)
    await _record(conn=conn, envelope=None, entries=[entry])
    return await current_complaint(conn=conn, complaint_id=complaint_id)


async def current_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record:
    """The complaint as a command just left it (its row is locked, so it exists)."""
    updated = await get_complaint_full(conn=conn, complaint_id=complaint_id)
    assert updated is not None
    return updated


async def set_waiting_for_reporter(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    waiting: bool,
    expected_version: int,
    policy: SlaPolicy,
    now: datetime | None = None,
) -> asyncpg.Record:
    """Pause the running deadline while staff wait for the reporter, or resume it (pushed
    back by the working days the wait lasted)."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await lock_for_change(conn=conn, staff=staff, complaint_id=complaint_id, expected_version=expected_version)
        if row["sla_due_at"] is None or (row["sla_paused_at"] is not None) == waiting:
            raise NoRunningDeadline()
        if waiting:
            due_at = row["sla_due_at"]
            paused_at: datetime | None = now
        else:
            due_at = policy.calendar.resume(due_at=row["sla_due_at"], paused_at=row["sla_paused_at"], resumed_at=now)
            paused_at = None
        await queries.set_sla_pause(conn=conn, complaint_id=complaint_id, paused_at=paused_at, due_at=due_at)
        updated = await record_staff_action(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            event_type="sigap.status.waiting_for_reporter" if waiting else "sigap.status.reporter_answered",
            at=now,
            detail={"due_at": due_at},
        )
    log.info("complaint_sla_paused" if waiting else "complaint_sla_resumed", complaint_id=str(complaint_id))
    return updated


async def assign_complaint(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    officer: str | None,
    expected_version: int,
    now: datetime | None = None,
) -> asyncpg.Record:
    """Assign (or reassign, or with None unassign) a field officer of the lead department."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await lock_for_change(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            expected_version=expected_version,
            check=rules.check_may_assign,
        )
        view = complaint_view(row)
        if officer is not None:
            user = await get_staff_user(conn=conn, username=officer)
            if (
                user is None
                or not user["active"]
                or user["role"] != "field_officer"
                or user["department"] != view.department
            ):
                raise UnknownOfficer(officer)
        await queries.assign_officer(
            conn=conn, complaint_id=complaint_id, expected_version=expected_version, officer=officer
        )
        envelope = events.assignment_event(
            view, officer=officer, actor_name=staff.username, actor_role=staff.role, now=now
        )
        await _record(conn=conn, envelope=envelope, entries=[events.assignment_entry(envelope)])
        updated = await current_complaint(conn=conn, complaint_id=complaint_id)
    log.info("complaint_assigned", complaint_id=str(complaint_id), assigned=officer is not None)
    return updated


async def add_note(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    body: str,
    visibility: str,
    photo_ids: list[UUID],
    now: datetime | None = None,
) -> UUID:
    """An internal note between staff (an officer's progress report, with photos), or a
    message to the reporter (shown in the public timeline). Returns the timeline entry's id."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
        view = complaint_view(row)
        if staff.role == "auditor":
            raise rules.NotPermitted(rules.AUDITORS_READ_ONLY)
        if visibility == "reporter":
            rules.check_may_act(staff, view)
        entry = TimelineEntry.by_staff(
            staff,
            complaint_id=complaint_id,
            event_type=events.NOTE_EVENT_TYPES[visibility],
            at=now,
            detail={"body": body, "photo_ids": photo_ids},
        )
        # Internal notes never leave the service; a message to the reporter is announced.
        message = (
            events.reporter_message_event(
                view, message_id=entry.event_id, body=body, actor_name=staff.username, actor_role=staff.role, now=now
            )
            if visibility == "reporter"
            else None
        )
        await _record(conn=conn, envelope=message, entries=[entry])
    log.info("complaint_note_added", complaint_id=str(complaint_id), visibility=visibility)
    return entry.event_id
