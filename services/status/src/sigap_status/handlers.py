"""Status's commands and event handlers: each runs in one database transaction, with its
events written to the outbox in that same transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal, issue_access_token
from sigap_shared.events import (
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintRouted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    ComplaintSlaBreached,
    ComplaintStatusChanged,
    ComplaintSubmitted,
    Envelope,
    ReporterRef,
)
from sigap_shared.consumer import distinct_complaint_runs
from sigap_shared.outbox import add_to_outbox
from sigap_status import accounts, domain, repository
from sigap_status.intake_client import IntakeClient, IntakeUnavailable, RevealedIdentity
from sigap_status.sla import SlaPolicy

log = structlog.get_logger(__name__)


# -- incoming events ------------------------------------------------------------------------


# The consumer hands these two a whole run of events at once (see BatchHandler in bootstrap),
# so a poll of new complaints costs a few statements instead of a few per complaint.
#
# A complaint is received (`diterima`) at its department once status knows both its submission
# (from intake) and its routing: the two come on different topics, so either may arrive first.
# Until then the complaint is nobody's: no queue, staff view or statistic shows it and nobody
# hears of it, so a routing for a complaint that was never submitted (forged) stays invisible.
# Whichever event completes the pair receives the complaint; both statements lock the row, so
# two replicas handling the pair at once still receive it exactly once.


async def on_complaints_submitted(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], policy: SlaPolicy | None = None
) -> None:
    for group in distinct_complaint_runs(envelopes):
        complaints = [envelope.data for envelope in group]
        assert all(isinstance(submitted, ComplaintSubmitted) for submitted in complaints)
        waiting = await repository.record_submitted(
            conn=conn,
            complaints=complaints,  # type: ignore[arg-type]
            entries=[
                repository.TimelineEntry(
                    complaint_id=submitted.complaint_id,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    occurred_at=submitted.submitted_at,
                    actor=domain.REPORTER_ACTOR,
                    detail={"kind": submitted.kind, "category": submitted.category, "privacy": submitted.privacy},
                )
                for envelope, submitted in zip(group, complaints)
            ],
        )
        by_id = {envelope.data.complaint_id: envelope for envelope in group}
        await _receive(
            conn=conn,
            policy=policy or SlaPolicy(),
            arrivals=[
                _Arrival(
                    complaint_id=row["id"],
                    tracking_code=row["tracking_code"],
                    department=row["department"],
                    category=row["category"],
                    envelope=by_id[row["id"]],
                )
                for row in waiting
            ],
        )


async def on_complaint_submitted(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    await on_complaints_submitted(conn=conn, envelopes=[envelope])


async def on_complaints_routed(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], policy: SlaPolicy | None = None
) -> None:
    for group in distinct_complaint_runs(envelopes):
        placements: list[repository.Placement] = []
        entries: list[repository.TimelineEntry] = []
        for envelope in group:
            routed = envelope.data
            assert isinstance(routed, ComplaintRouted)
            entries.append(
                repository.TimelineEntry(
                    complaint_id=routed.complaint_id,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    occurred_at=routed.routed_at,
                    actor=domain.SYSTEM_ACTOR,
                    detail={
                        "department": routed.department,
                        "category": routed.category,
                        "confidence": routed.confidence,
                        "needs_triage": routed.needs_triage,
                        "reasons": list(routed.reasons),
                    },
                )
            )
            placements.append(
                repository.Placement(
                    complaint_id=routed.complaint_id,
                    tracking_code=routed.tracking_code,
                    department=routed.department,
                    category=routed.category,
                    routed_at=routed.routed_at,
                    kelurahan=routed.kelurahan_name,
                )
            )
        placed = await repository.place_at_departments(conn=conn, placements=placements, entries=entries)
        arrivals: list[_Arrival] = []
        for envelope in group:
            routed = envelope.data
            assert isinstance(routed, ComplaintRouted)
            status, submitted = placed[routed.complaint_id]
            if status is None and submitted:
                arrivals.append(
                    _Arrival(
                        complaint_id=routed.complaint_id,
                        tracking_code=routed.tracking_code,
                        department=routed.department,
                        category=routed.category,
                        envelope=envelope,
                    )
                )
            elif not submitted:
                log.info("complaint_routed_before_submission", department=routed.department)
        await _receive(conn=conn, policy=policy or SlaPolicy(), arrivals=arrivals)


async def on_complaint_routed(
    *, conn: asyncpg.Connection, envelope: Envelope, policy: SlaPolicy | None = None
) -> None:
    await on_complaints_routed(conn=conn, envelopes=[envelope], policy=policy)


@dataclass(frozen=True, slots=True)
class _Arrival:
    """A complaint whose submission and routing are both known now, and the event (either
    one) that completed the pair."""

    complaint_id: UUID
    tracking_code: str
    department: str
    category: str | None
    envelope: Envelope


async def _receive(*, conn: asyncpg.Connection, policy: SlaPolicy, arrivals: Sequence[_Arrival]) -> None:
    """Receive the complaints at their departments: status, first deadline, timeline entry and
    the `diterima` event everyone hears, in two statements for all of them."""
    if not arrivals:
        return
    now = datetime.now(UTC)
    receptions: list[repository.Reception] = []
    entries: list[repository.TimelineEntry] = []
    events: list[Envelope] = []
    for arrival in arrivals:
        reception = domain.received_event(
            complaint_id=arrival.complaint_id,
            tracking_code=arrival.tracking_code,
            department=arrival.department,
            reporter=arrival.envelope.data.reporter,  # type: ignore[union-attr]
            correlation_id=arrival.envelope.correlation_id,
            now=now,
        )
        change = reception.data
        assert isinstance(change, ComplaintStatusChanged)
        stage, due_at = policy.deadline(status=change.status, category=arrival.category, since=change.changed_at)
        receptions.append(
            repository.Reception(
                complaint_id=arrival.complaint_id,
                status=change.status,
                received_at=change.changed_at,
                sla_stage=stage,
                sla_due_at=due_at,
            )
        )
        entries.append(
            repository.TimelineEntry(
                complaint_id=arrival.complaint_id,
                event_id=reception.id,
                event_type=reception.type,
                occurred_at=change.changed_at,
                actor=change.actor,
                detail={"from": change.previous_status, "to": change.status, "department": change.department},
            )
        )
        events.append(reception)
    await repository.receive(conn=conn, receptions=receptions, entries=entries)
    await add_to_outbox(conn=conn, envelopes=events)
    for arrival in arrivals:
        log.info(
            "complaint_received_at_department", complaint_id=str(arrival.complaint_id), department=arrival.department
        )


class ComplaintNotYetKnown(Exception):
    """A hand-on event for a complaint whose routed event has not been handled yet; the
    consumer retries it (same partition, so normally the routed event is simply earlier)."""


async def on_complaint_transferred(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    transfer = envelope.data
    assert isinstance(transfer, ComplaintTransferred)
    before = await repository.hand_on_lead(
        conn=conn,
        complaint_id=transfer.complaint_id,
        department=transfer.to_department,
        supporting=list(transfer.supporting_departments),
    )
    if before is None:
        raise ComplaintNotYetKnown(str(transfer.complaint_id))
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=transfer.complaint_id,
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=transfer.transferred_at,
        actor=transfer.actor,
        detail={
            "from_department": transfer.from_department,
            "to_department": transfer.to_department,
            "kind": transfer.kind,
            "reason": transfer.reason,
            "actor_role": transfer.actor_role,
            "supporting_departments": list(transfer.supporting_departments),
        },
    )
    if before["assigned_officer"] is not None:
        # The officer of the department that gave the complaint up must hear that it is gone.
        released = domain.officer_released_event(
            complaint_id=transfer.complaint_id,
            tracking_code=before["tracking_code"],
            department=before["department"] or transfer.from_department,
            officer=before["assigned_officer"],
            actor_name=transfer.actor,
            actor_role=transfer.actor_role,
            now=transfer.transferred_at,
            correlation_id=envelope.correlation_id,
        )
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=transfer.complaint_id,
            event_id=released.id,
            event_type="sigap.status.assignment_changed",
            occurred_at=transfer.transferred_at,
            actor=transfer.actor,
            detail={"from": before["assigned_officer"], "to": None, "actor_role": transfer.actor_role},
        )
        await add_to_outbox(conn=conn, envelopes=[released])
    log.info("complaint_transferred", to_department=transfer.to_department, kind=transfer.kind)


async def on_support_changed(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    change = envelope.data
    assert isinstance(change, ComplaintSupportAdded | ComplaintSupportRemoved)
    if await repository.get_complaint_full(conn=conn, complaint_id=change.complaint_id) is None:
        raise ComplaintNotYetKnown(str(change.complaint_id))
    await repository.set_supporting_departments(
        conn=conn, complaint_id=change.complaint_id, departments=list(change.supporting_departments)
    )
    at = change.added_at if isinstance(change, ComplaintSupportAdded) else change.removed_at
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=change.complaint_id,
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=at,
        actor=change.actor,
        detail={
            "lead_department": change.lead_department,
            "department": change.department,
            "reason": change.reason,
            "actor_role": change.actor_role,
            "supporting_departments": list(change.supporting_departments),
        },
    )


async def on_reporter_follow_up(
    *, conn: asyncpg.Connection, envelope: Envelope, policy: SlaPolicy | None = None
) -> None:
    """Intake's follow-ups from the reporter: added information and ratings join the timeline;
    a reopen request reopens a finished complaint when the lifecycle allows it."""
    data = envelope.data
    assert isinstance(data, ComplaintInformationAdded | ComplaintRated | ComplaintReopenRequested)
    row = await repository.get_complaint_for_update(conn=conn, complaint_id=data.complaint_id)
    if row is None:
        raise ComplaintNotYetKnown(str(data.complaint_id))
    if isinstance(data, ComplaintInformationAdded):
        at, detail = data.added_at, {"text": data.text, "photos": len(data.photos)}
    elif isinstance(data, ComplaintRated):
        at, detail = data.rated_at, {"rating": data.rating, "comment": data.comment}
    else:
        at, detail = data.requested_at, {"reason": data.reason}
        try:
            await reopen_by_reporter(
                conn=conn,
                complaint_id=data.complaint_id,
                reason=data.reason,
                expected_version=row["version"],
                policy=policy or SlaPolicy(),
                now=data.requested_at,
            )
            detail["applied"] = True
        except domain.LifecycleError as error:
            # Intake judged from its own copy of the status; the lifecycle here has the last word.
            detail["applied"] = False
            detail["refused"] = type(error).__name__
    await repository.add_timeline_entry(
        conn=conn,
        complaint_id=data.complaint_id,
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=at,
        actor=domain.REPORTER_ACTOR,
        detail=detail,
    )


# -- staff commands -------------------------------------------------------------------------


class ComplaintNotVisible(Exception):
    """Unknown, or belongs to a department this staff member may not see (the same answer)."""


def complaint_view(row: asyncpg.Record) -> domain.ComplaintView:
    return domain.ComplaintView(
        id=row["id"],
        tracking_code=row["tracking_code"],
        status=row["status"],
        department=row["department"],
        version=row["version"],
        supporting_departments=tuple(row["supporting_departments"] or ()),
        assigned_officer=row["assigned_officer"],
        reporter=ReporterRef(pseudonym=row["reporter_pseudonym"], channels=tuple(row["reporter_channels"] or ()))
        if row["reporter_pseudonym"]
        else None,
    )


async def load_visible(
    *, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID, for_update: bool = False
) -> asyncpg.Record:
    fetch = repository.get_complaint_for_update if for_update else repository.get_complaint_full
    row = await fetch(conn=conn, complaint_id=complaint_id)
    if row is None or not domain.can_see(staff, complaint_view(row)):
        raise ComplaintNotVisible(str(complaint_id))
    return row


async def transition_complaint(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    request: domain.TransitionRequest,
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
        verdicts = await _claim_live_after_photos(
            conn=conn, staff=staff, complaint_id=complaint_id, request=request, intake=intake, now=now
        )
    async with conn.transaction():
        row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
        view = complaint_view(row)
        domain.check_may_act(staff, view)
        envelope = domain.decide_transition(
            view,
            request,
            actor_kind=staff.role,
            actor_name=staff.username,
            now=now,
            correlation_id=correlation_id,
        )
        change = envelope.data
        assert isinstance(change, ComplaintStatusChanged)
        if change.duplicate_of is not None:
            original = await repository.get_complaint_full(conn=conn, complaint_id=change.duplicate_of)
            # One the staff member cannot see gets the same answer as one that does not exist.
            if original is None or not domain.can_see(staff, complaint_view(original)):
                raise domain.MissingInformation(
                    "duplicate_of",
                    "Pengaduan asli (duplicate_of) tidak ditemukan",
                    "The original complaint (duplicate_of) does not exist",
                )
            domain.check_merge_target(
                submitted_at=row["submitted_at"],
                original_status=original["status"],
                original_submitted_at=original["submitted_at"],
            )
        stage, due_at = policy.deadline(status=change.status, category=row["category"], since=now)
        same_deadline = stage is not None and stage == row["sla_stage"] and change.status != "dibuka_kembali"
        if same_deadline:
            # Starting work does not restart the follow-up clock that verification started
            # (and a change made while waiting for the reporter ends the wait).
            due_at = row["sla_due_at"]
            if row["sla_paused_at"] is not None and due_at is not None:
                due_at = policy.calendar.resume(due_at=due_at, paused_at=row["sla_paused_at"], resumed_at=now)
        new_version = await repository.apply_transition(
            conn=conn,
            complaint_id=complaint_id,
            expected_version=request.expected_version,
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
            raise domain.StaleVersion(request.expected_version, row["version"])
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=now,
            actor=staff.username,
            detail={
                "from": change.previous_status,
                "to": change.status,
                "actor_role": staff.role,
                "reason": change.reason,
                "note": change.note,
                "duplicate_of": change.duplicate_of,
                "resolution_note": change.resolution_note,
                "after_photo_ids": list(change.after_photo_ids),
                **({"after_photo_verdicts": verdicts} if verdicts else {}),
            },
        )
        if change.duplicate_of is not None:
            # The original's staff see what was merged into it.
            await repository.add_timeline_entry(
                conn=conn,
                complaint_id=change.duplicate_of,
                event_id=uuid.uuid4(),
                event_type=DUPLICATE_MERGED,
                occurred_at=now,
                actor=staff.username,
                detail={"duplicate": complaint_id, "tracking_code": row["tracking_code"], "actor_role": staff.role},
            )
        await add_to_outbox(conn=conn, envelopes=[envelope])
        updated = await repository.get_complaint_full(conn=conn, complaint_id=complaint_id)
    log.info(
        "complaint_status_changed",
        complaint_id=str(complaint_id),
        previous_status=change.previous_status,
        status=change.status,
        actor_role=staff.role,
    )
    assert updated is not None
    return updated


async def _claim_live_after_photos(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    request: domain.TransitionRequest,
    intake: IntakeClient | None,
    now: datetime,
) -> dict[str, str]:
    """Check the finishing request, then claim its after-photos at intake; at least one must
    be verified as taken live. Returns each photo's verdict (empty when the check is skipped)."""
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    view = complaint_view(row)
    domain.check_may_act(staff, view)
    domain.decide_transition(view, request, actor_kind=staff.role, actor_name=staff.username, now=now)
    if intake is None:
        # Development and tests without SIGAP_INTAKE_INTERNAL_URL (production refuses to start).
        log.warning("after_photo_check_skipped", complaint_id=str(complaint_id), reason="intake_not_configured")
        return {}
    verdicts = await intake.claim_after_photos(complaint_id=complaint_id, photo_ids=list(request.after_photo_ids))
    domain.check_after_photos_live([(verdict.photo_id, verdict.verdict, verdict.reasons) for verdict in verdicts])
    return {str(verdict.photo_id): verdict.verdict for verdict in verdicts}


async def reopen_by_reporter(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    reason: str,
    expected_version: int,
    policy: SlaPolicy,
    now: datetime | None = None,
) -> None:
    """The reporter reopens a finished complaint. Status has no door for reporters: they ask
    intake (`POST /v1/track/{code}/reopen`), which checks the follow-up token only their device
    holds and the reopen window, and announces the request that brings this here."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await repository.get_complaint_for_update(conn=conn, complaint_id=complaint_id)
        if row is None:
            raise ComplaintNotVisible(str(complaint_id))
        view = complaint_view(row)
        envelope = domain.decide_transition(
            view,
            domain.TransitionRequest(to="dibuka_kembali", expected_version=expected_version, reason=reason),
            actor_kind="reporter",
            actor_name=domain.REPORTER_ACTOR,
            now=now,
        )
        change = envelope.data
        assert isinstance(change, ComplaintStatusChanged)
        stage, due_at = policy.deadline(status=change.status, category=row["category"], since=now)
        await repository.apply_transition(
            conn=conn,
            complaint_id=complaint_id,
            expected_version=expected_version,
            status=change.status,
            at=now,
            rejection_reason=None,
            duplicate_of=None,
            resolution_note=None,
            after_photo_ids=[],
            sla_stage=stage,
            sla_due_at=due_at,
        )
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=now,
            actor=domain.REPORTER_ACTOR,
            detail={"from": change.previous_status, "to": change.status, "reason": change.reason},
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info("complaint_reopened_by_reporter", complaint_id=str(complaint_id))


class NoRunningDeadline(Exception):
    pass


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
        row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
        domain.check_may_act(staff, complaint_view(row))
        if expected_version != row["version"]:
            raise domain.StaleVersion(expected_version, row["version"])
        if row["sla_due_at"] is None or (row["sla_paused_at"] is not None) == waiting:
            raise NoRunningDeadline()
        if waiting:
            due_at = row["sla_due_at"]
            paused_at: datetime | None = now
        else:
            due_at = policy.calendar.resume(due_at=row["sla_due_at"], paused_at=row["sla_paused_at"], resumed_at=now)
            paused_at = None
        await repository.set_sla_pause(conn=conn, complaint_id=complaint_id, paused_at=paused_at, due_at=due_at)
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=uuid.uuid4(),
            event_type="sigap.status.waiting_for_reporter" if waiting else "sigap.status.reporter_answered",
            occurred_at=now,
            actor=staff.username,
            detail={"due_at": due_at, "actor_role": staff.role},
        )
        updated = await repository.get_complaint_full(conn=conn, complaint_id=complaint_id)
    log.info("complaint_sla_paused" if waiting else "complaint_sla_resumed", complaint_id=str(complaint_id))
    assert updated is not None
    return updated


class UnknownOfficer(Exception):
    pass


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
        row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id, for_update=True)
        view = complaint_view(row)
        domain.check_may_assign(staff, view)
        if expected_version != view.version:
            raise domain.StaleVersion(expected_version, view.version)
        if officer is not None:
            user = await repository.get_staff_user(conn=conn, username=officer)
            if (
                user is None
                or not user["active"]
                or user["role"] != "field_officer"
                or user["department"] != view.department
            ):
                raise UnknownOfficer(officer)
        await repository.assign_officer(
            conn=conn, complaint_id=complaint_id, expected_version=expected_version, officer=officer
        )
        envelope = domain.assignment_event(
            view, officer=officer, actor_name=staff.username, actor_role=staff.role, now=now
        )
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=envelope.id,
            event_type="sigap.status.assignment_changed",
            occurred_at=now,
            actor=staff.username,
            detail={"from": view.assigned_officer, "to": officer, "actor_role": staff.role},
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
        updated = await repository.get_complaint_full(conn=conn, complaint_id=complaint_id)
    log.info("complaint_assigned", complaint_id=str(complaint_id), assigned=officer is not None)
    assert updated is not None
    return updated


NOTE_EVENT_TYPES = {"internal": "sigap.status.internal_note", "reporter": "sigap.status.reporter_message"}
IDENTITY_VIEWED = "sigap.status.identity_viewed"
DUPLICATE_MERGED = "sigap.status.duplicate_merged"
INTERNAL_EVENT_TYPES = frozenset(
    {"sigap.status.internal_note", "sigap.status.assignment_changed", IDENTITY_VIEWED, DUPLICATE_MERGED}
)


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
            raise domain.NotPermitted("auditors have read-only access")
        if visibility == "reporter":
            domain.check_may_act(staff, view)
        entry_id = uuid.uuid4()
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=entry_id,
            event_type=NOTE_EVENT_TYPES[visibility],
            occurred_at=now,
            actor=staff.username,
            detail={"body": body, "photo_ids": photo_ids, "actor_role": staff.role},
        )
        if visibility == "reporter":
            # Internal notes never leave the service; a message to the reporter is announced.
            await add_to_outbox(
                conn=conn,
                envelopes=[
                    domain.reporter_message_event(
                        view, message_id=entry_id, body=body, actor_name=staff.username, actor_role=staff.role, now=now
                    )
                ],
            )
    log.info("complaint_note_added", complaint_id=str(complaint_id), visibility=visibility)
    return entry_id


async def reveal_reporter_identity(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    reason: str,
    intake: IntakeClient | None,
    now: datetime | None = None,
) -> RevealedIdentity:
    """The city admin looks up who a reporter is. Intake audits the look in its own access
    log; the department sees that it happened in the internal timeline (who, when, why; never
    the identity itself)."""
    now = now or datetime.now(UTC)
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    domain.check_may_reveal_identity(staff, complaint_view(row))
    if intake is None:
        raise IntakeUnavailable("SIGAP_INTAKE_INTERNAL_URL is not set")
    identity = await intake.reveal_identity(
        complaint_id=complaint_id, actor=staff.username, actor_role=staff.role, reason=reason
    )
    async with conn.transaction():
        await repository.add_timeline_entry(
            conn=conn,
            complaint_id=complaint_id,
            event_id=uuid.uuid4(),
            event_type=IDENTITY_VIEWED,
            occurred_at=now,
            actor=staff.username,
            detail={"actor_role": staff.role, "reason": reason, "audit_id": identity.audit_id},
        )
    log.info(
        "reporter_identity_viewed", complaint_id=str(complaint_id), actor=staff.username, audit_id=str(identity.audit_id)
    )
    return identity


# -- staff sessions -------------------------------------------------------------------------


class InvalidCredentials(Exception):
    pass


class LoginThrottled(Exception):
    """Too many failed logins for this username or from this address: wait `retry_after_s`."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s


class InvalidRefreshToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    principal: StaffPrincipal


async def _open_session(
    *, conn: asyncpg.Connection, user: asyncpg.Record, family_id: UUID, secret: str, access_ttl_s: int, refresh_ttl_s: int
) -> Session:
    principal = StaffPrincipal(username=user["username"], role=user["role"], department=user["department"])
    refresh = accounts.new_refresh_token()
    await repository.store_refresh_token(
        conn=conn,
        token_hash=accounts.refresh_token_digest(refresh),
        family_id=family_id,
        username=user["username"],
        expires_at=datetime.now(UTC) + timedelta(seconds=refresh_ttl_s),
    )
    return Session(
        access_token=issue_access_token(principal, secret=secret, ttl_s=access_ttl_s),
        refresh_token=refresh,
        expires_in=access_ttl_s,
        principal=principal,
    )


async def login(
    *,
    conn: asyncpg.Connection,
    username: str,
    password: str,
    secret: str,
    access_ttl_s: int,
    refresh_ttl_s: int,
    client_ip: str | None = None,
    limits: accounts.LoginLimits | None = None,
    now: datetime | None = None,
) -> Session:
    """Check the password; with `limits`, attempts are counted per username and per client
    address (in the database, so every replica sees them) before the password is checked, and
    throttled past the limit. A successful login takes its attempt back and clears its
    username's count (not its address's)."""
    now = now or datetime.now(UTC)
    name = username.strip().lower()
    subjects = accounts.login_subjects(username=name, client_ip=client_ip)
    if limits is not None:
        await _reserve_login_attempt(conn=conn, subjects=subjects, limits=limits, now=now)
    user = await repository.get_staff_user(conn=conn, username=name)
    # argon2 takes tens of milliseconds of CPU: in a thread, so other requests are served meanwhile.
    valid = await asyncio.to_thread(accounts.verify_password, user["password_hash"] if user else None, password)
    if user is None or not valid or not user["active"]:
        # The attempt reserved above stays counted as this failure.
        if limits is not None:
            await repository.forget_closed_login_windows(conn=conn, now=now, window_s=limits.window_s)
        log.info("staff_login_refused")
        raise InvalidCredentials()
    async with conn.transaction():
        if limits is not None:
            await repository.clear_login_failures(conn=conn, subjects=[("username", name)])
            await repository.release_login_attempt(conn=conn, subjects=[s for s in subjects if s[0] == "ip"])
        if accounts.needs_rehash(user["password_hash"]):
            await repository.set_password_hash(
                conn=conn, username=user["username"], password_hash=accounts.hash_password(password)
            )
        session = await _open_session(
            conn=conn,
            user=user,
            family_id=uuid.uuid4(),
            secret=secret,
            access_ttl_s=access_ttl_s,
            refresh_ttl_s=refresh_ttl_s,
        )
    log.info("staff_logged_in", username=user["username"], role=user["role"])
    return session


async def _reserve_login_attempt(
    *, conn: asyncpg.Connection, subjects: list[tuple[str, str]], limits: accounts.LoginLimits, now: datetime
) -> None:
    """Take a place in the counts before the password is checked (committed at once, so
    parallel attempts see it); raise `LoginThrottled` past a limit, giving back the places the
    other limits granted."""
    reserved = await repository.reserve_login_attempt(
        conn=conn,
        subjects=subjects,
        now=now,
        window_s=limits.window_s,
        max_per_username=limits.max_per_username,
        max_per_ip=limits.max_per_ip,
    )
    wait = accounts.login_retry_after(
        [(row["scope"], row["failures"], row["window_start"]) for row in reserved], limits=limits, now=now
    )
    if wait is None:
        return
    await repository.release_login_attempt(
        conn=conn,
        subjects=[
            (row["scope"], row["subject"]) for row in reserved if row["failures"] <= limits.limit_for(row["scope"])
        ],
    )
    log.warning("staff_login_throttled", retry_after_s=wait)
    raise LoginThrottled(wait)


async def refresh(
    *, conn: asyncpg.Connection, refresh_token: str, secret: str, access_ttl_s: int, refresh_ttl_s: int
) -> Session:
    """Rotate a refresh token. Presenting one already used means it leaked: the whole family
    (this login's chain of tokens) is revoked."""
    async with conn.transaction():
        stored = await repository.get_refresh_token_for_update(
            conn=conn, token_hash=accounts.refresh_token_digest(refresh_token)
        )
        if stored is None:
            raise InvalidRefreshToken()
        if stored["used_at"] is not None and stored["revoked_at"] is None:
            await repository.revoke_refresh_family(conn=conn, family_id=stored["family_id"])
            log.warning("refresh_token_reused", username=stored["username"])
            reused = True
        else:
            reused = False
        user = await repository.get_staff_user(conn=conn, username=stored["username"])
        if (
            reused
            or stored["revoked_at"] is not None
            or stored["expires_at"] <= datetime.now(UTC)
            or user is None
            or not user["active"]
        ):
            invalid = True
        else:
            invalid = False
            await repository.mark_refresh_token_used(conn=conn, token_hash=stored["token_hash"])
            session = await _open_session(
                conn=conn,
                user=user,
                family_id=stored["family_id"],
                secret=secret,
                access_ttl_s=access_ttl_s,
                refresh_ttl_s=refresh_ttl_s,
            )
    # The revocation above must commit even though the request is refused.
    if invalid:
        raise InvalidRefreshToken()
    return session


# -- SLA sweep ------------------------------------------------------------------------------


async def sweep_sla_breaches(*, conn: asyncpg.Connection, now: datetime | None = None, limit: int = 500) -> int:
    """Report every running deadline that has passed, once: one `ComplaintSlaBreached` each."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        rows = await repository.claim_breached(conn=conn, now=now, limit=limit)
        if not rows:
            return 0
        envelopes = [
            Envelope(
                source=domain.SOURCE,
                data=ComplaintSlaBreached(
                    complaint_id=row["id"],
                    tracking_code=row["tracking_code"],
                    department=row["department"] or "",
                    status=row["status"],
                    stage=row["sla_stage"],
                    due_at=row["sla_due_at"],
                    breached_at=now,
                ),
            )
            for row in rows
        ]
        await repository.mark_breached(conn=conn, complaint_ids=[row["id"] for row in rows], at=now)
        for envelope in envelopes:
            breach = envelope.data
            assert isinstance(breach, ComplaintSlaBreached)
            await repository.add_timeline_entry(
                conn=conn,
                complaint_id=breach.complaint_id,
                event_id=envelope.id,
                event_type=envelope.type,
                occurred_at=now,
                actor=domain.SYSTEM_ACTOR,
                detail={"stage": breach.stage, "due_at": breach.due_at, "escalate_to": list(breach.escalate_to)},
            )
        await add_to_outbox(conn=conn, envelopes=envelopes)
    log.info("sla_breaches_reported", count=len(rows))
    return len(rows)
