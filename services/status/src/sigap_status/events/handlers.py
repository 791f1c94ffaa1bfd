"""Status's handlers for the events it consumes. Each runs in the consumer's transaction (with
the inbox claim), writing its state, timeline entries and outgoing events together."""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_shared import erasure
from sigap_shared.consumer import distinct_complaint_runs
from sigap_shared.events import (
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintRouted,
    ComplaintStatusChanged,
    ComplaintSubmitted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    Envelope,
)
from sigap_shared.outbox import add_to_outbox
from sigap_status.complaints.queries import (
    TimelineEntry,
    add_timeline_entries,
    get_complaint_for_update,
    get_complaint_full,
)
from sigap_status.events import queries
from sigap_status.lifecycle import events
from sigap_status.lifecycle.commands import reopen_by_reporter
from sigap_status.lifecycle.rules import REPORTER_ACTOR, SYSTEM_ACTOR, LifecycleError
from sigap_status.personal_data import repository as personal_data
from sigap_status.sla.rules import SlaPolicy

log = structlog.get_logger(__name__)


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
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], policy: SlaPolicy
) -> None:
    for group in distinct_complaint_runs(envelopes):
        complaints = [envelope.data for envelope in group]
        assert all(isinstance(submitted, ComplaintSubmitted) for submitted in complaints)
        waiting = await queries.record_submitted(
            conn=conn,
            complaints=complaints,  # type: ignore[arg-type]
            entries=[
                TimelineEntry.of(
                    envelope,
                    at=submitted.submitted_at,
                    actor=REPORTER_ACTOR,
                    detail={"kind": submitted.kind, "category": submitted.category, "privacy": submitted.privacy},
                )
                for envelope, submitted in zip(group, complaints)
            ],
        )
        by_id = {envelope.data.complaint_id: envelope for envelope in group}
        # Routing (already stored) says where they are received.
        arrivals = [_Arrival(by_id[row["id"]], row["tracking_code"], row["department"], row["category"]) for row in waiting]
        await _receive(conn=conn, policy=policy, arrivals=arrivals)


async def on_complaints_routed(
    *, conn: asyncpg.Connection, envelopes: Sequence[Envelope], policy: SlaPolicy
) -> None:
    for group in distinct_complaint_runs(envelopes):
        placements: list[queries.Placement] = []
        entries: list[TimelineEntry] = []
        for envelope in group:
            routed = envelope.data
            assert isinstance(routed, ComplaintRouted)
            entries.append(
                TimelineEntry.of(
                    envelope,
                    at=routed.routed_at,
                    actor=SYSTEM_ACTOR,
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
                queries.Placement(
                    complaint_id=routed.complaint_id,
                    tracking_code=routed.tracking_code,
                    department=routed.department,
                    category=routed.category,
                    routed_at=routed.routed_at,
                    kelurahan=routed.kelurahan_name,
                )
            )
        placed = await queries.place_at_departments(conn=conn, placements=placements, entries=entries)
        arrivals: list[_Arrival] = []
        for envelope in group:
            routed = envelope.data
            assert isinstance(routed, ComplaintRouted)
            status, submitted = placed[routed.complaint_id]
            if status is None and submitted:
                arrivals.append(_Arrival(envelope, routed.tracking_code, routed.department, routed.category))
            elif not submitted:
                log.info("complaint_routed_before_submission", department=routed.department)
        await _receive(conn=conn, policy=policy, arrivals=arrivals)


@dataclass(frozen=True, slots=True)
class _Arrival:
    """A complaint whose submission and routing are both known now, and the event (either
    one) that completed the pair."""

    envelope: Envelope
    tracking_code: str
    department: str
    category: str | None

    @property
    def complaint_id(self) -> UUID:
        return self.envelope.data.complaint_id  # type: ignore[union-attr]


async def _receive(*, conn: asyncpg.Connection, policy: SlaPolicy, arrivals: Sequence[_Arrival]) -> None:
    """Receive the complaints at their departments: status, first deadline, timeline entry and
    the `diterima` event everyone hears, in two statements for all of them."""
    if not arrivals:
        return
    now = datetime.now(UTC)
    receptions: list[queries.Reception] = []
    entries: list[TimelineEntry] = []
    announced: list[Envelope] = []
    # The arriving event (intake's or routing's) may still name a reporter erased meanwhile.
    erased = await erasure.erased_among(conn=conn, complaint_ids=[arrival.complaint_id for arrival in arrivals])
    for arrival in arrivals:
        reception = dataclasses.replace(
            events.received_event(
                complaint_id=arrival.complaint_id,
                tracking_code=arrival.tracking_code,
                department=arrival.department,
                reporter=None if arrival.complaint_id in erased else arrival.envelope.data.reporter,  # type: ignore[union-attr]
                correlation_id=arrival.envelope.correlation_id,
                now=now,
            ),
            # Arrivals are handled in batches: each reception continues its own complaint's trace.
            traceparent=arrival.envelope.traceparent,
        )
        change = reception.data
        assert isinstance(change, ComplaintStatusChanged)
        stage, due_at = policy.deadline(status=change.status, category=arrival.category, since=change.changed_at)
        receptions.append(
            queries.Reception(
                complaint_id=arrival.complaint_id,
                status=change.status,
                received_at=change.changed_at,
                sla_stage=stage,
                sla_due_at=due_at,
            )
        )
        entries.append(
            TimelineEntry.of(
                reception,
                at=change.changed_at,
                actor=change.actor,
                detail={"from": change.previous_status, "to": change.status, "department": change.department},
            )
        )
        announced.append(reception)
    await queries.receive(conn=conn, receptions=receptions, entries=entries)
    await add_to_outbox(conn=conn, envelopes=announced)
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
    before = await queries.hand_on_lead(
        conn=conn,
        complaint_id=transfer.complaint_id,
        department=transfer.to_department,
        supporting=list(transfer.supporting_departments),
    )
    if before is None:
        raise ComplaintNotYetKnown(str(transfer.complaint_id))
    entries = [
        TimelineEntry.of(
            envelope,
            at=transfer.transferred_at,
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
    ]
    if before["assigned_officer"] is not None:
        # The officer of the department that gave the complaint up must hear that it is gone.
        released = events.officer_released_event(
            complaint_id=transfer.complaint_id,
            tracking_code=before["tracking_code"],
            department=before["department"] or transfer.from_department,
            officer=before["assigned_officer"],
            actor_name=transfer.actor,
            actor_role=transfer.actor_role,
            now=transfer.transferred_at,
            correlation_id=envelope.correlation_id,
        )
        entries.append(events.assignment_entry(released))
        await add_to_outbox(conn=conn, envelopes=[released])
    await add_timeline_entries(conn=conn, entries=entries)
    log.info("complaint_transferred", to_department=transfer.to_department, kind=transfer.kind)


async def on_support_changed(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    change = envelope.data
    assert isinstance(change, ComplaintSupportAdded | ComplaintSupportRemoved)
    if await get_complaint_full(conn=conn, complaint_id=change.complaint_id) is None:
        raise ComplaintNotYetKnown(str(change.complaint_id))
    await queries.set_supporting_departments(
        conn=conn, complaint_id=change.complaint_id, departments=list(change.supporting_departments)
    )
    at = change.added_at if isinstance(change, ComplaintSupportAdded) else change.removed_at
    detail = {
        "lead_department": change.lead_department,
        "department": change.department,
        "reason": change.reason,
        "actor_role": change.actor_role,
        "supporting_departments": list(change.supporting_departments),
    }
    await add_timeline_entries(conn=conn, entries=[TimelineEntry.of(envelope, at=at, actor=change.actor, detail=detail)])


async def on_reporter_follow_up(
    *, conn: asyncpg.Connection, envelope: Envelope, policy: SlaPolicy
) -> None:
    """Intake's follow-ups from the reporter: added information and ratings join the timeline;
    a reopen request reopens a finished complaint when the lifecycle allows it."""
    data = envelope.data
    assert isinstance(data, ComplaintInformationAdded | ComplaintRated | ComplaintReopenRequested)
    row = await get_complaint_for_update(conn=conn, complaint_id=data.complaint_id)
    if row is None:
        raise ComplaintNotYetKnown(str(data.complaint_id))
    if isinstance(data, ComplaintInformationAdded):
        at, detail = data.added_at, {"text": data.text, "photos": len(data.photos)}
    elif isinstance(data, ComplaintRated):
        at, detail = data.rated_at, {"rating": data.rating, "comment": data.comment}
    else:
        at, detail = data.requested_at, {"reason": data.reason}
        # The reporter's erasure overtook their request: its reason is not announced again.
        erased_at = await personal_data.erased_at(conn=conn, complaint_id=data.complaint_id)
        try:
            await reopen_by_reporter(
                conn=conn,
                complaint_id=data.complaint_id,
                reason=data.reason,
                expected_version=row["version"],
                policy=policy,
                now=data.requested_at,
                announce_reason=erased_at is None or erased_at < data.requested_at,
            )
            detail["applied"] = True
        except LifecycleError as error:
            # Intake judged from its own copy of the status; the lifecycle here has the last word.
            detail["applied"] = False
            detail["refused"] = type(error).__name__
    await add_timeline_entries(conn=conn, entries=[TimelineEntry.of(envelope, at=at, actor=REPORTER_ACTOR, detail=detail)])
