"""Data-subject requests and erasure: each step writes its privacy-audit row in the
transaction that makes it, so nothing happens unrecorded."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_intake.complaints import repository as complaint_repository
from sigap_intake.photos.queries import stripped_copy
from sigap_intake.photos.storage import PhotoStore
from sigap_intake.privacy import export, repository, rules
from sigap_intake.privacy.elsewhere import HeldElsewhere
from sigap_intake.sealing import Sealer

log = structlog.get_logger(__name__)

# The audit's actor when the reporter acts through their tracking code and token.
REPORTER_ACTOR = "pelapor"
REPORTER_ROLE = "reporter"
RETENTION_ACTOR = "retention"
RETENTION_ROLE = "system"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    id: UUID
    complaint_id: UUID
    kind: str
    due_at: datetime


async def _audit(
    *, conn: asyncpg.Connection, complaint_id: UUID, request_id: UUID | None, action: str, actor: str,
    actor_role: str, reason: str | None, at: datetime,
) -> None:  # fmt: skip
    await repository.add_audit(
        conn=conn, audit_id=uuid.uuid4(), complaint_id=complaint_id, request_id=request_id, action=action,
        actor=actor, actor_role=actor_role, reason=reason, at=at,
    )  # fmt: skip


async def record_request(
    *,
    conn: asyncpg.Connection,
    sealer: Sealer,
    complaint_id: UUID,
    kind: rules.RequestKind,
    details: str | None,
    verified_by: tuple[str, str] | None = None,
) -> RecordedRequest:
    """A request from the reporter (already proven by tracking code + token), or, with
    `verified_by` = (staff username, role), one a staff member verified on another channel."""
    if verified_by is not None:
        rules.check_may_record(verified_by[1])
    request_id, now = uuid.uuid4(), datetime.now(UTC)
    due = rules.due_at(now)
    actor, actor_role = verified_by or (REPORTER_ACTOR, REPORTER_ROLE)
    async with conn.transaction():
        await repository.insert_request(
            conn=conn,
            request_id=request_id,
            complaint_id=complaint_id,
            kind=kind,
            proof="staff_verified" if verified_by else "follow_up_token",
            verified_by=verified_by[0] if verified_by else None,
            details_sealed=sealer.seal(details, bound_to=request_id.bytes) if details else None,
            received_at=now,
            due_at=due,
        )
        await _audit(
            conn=conn, complaint_id=complaint_id, request_id=request_id, action=f"request_received:{kind}",
            actor=actor, actor_role=actor_role, reason=None, at=now,
        )  # fmt: skip
    log.info("privacy_request_received", complaint_id=str(complaint_id), request_id=str(request_id), kind=kind)
    return RecordedRequest(id=request_id, complaint_id=complaint_id, kind=kind, due_at=due)


@dataclass(frozen=True, slots=True)
class Answer:
    request_id: UUID
    complaint_id: UUID
    kind: str
    state: str
    reason: str
    answered_at: datetime
    export: dict | None


async def answer_request(
    *,
    conn: asyncpg.Connection,
    sealer: Sealer,
    store: PhotoStore,
    elsewhere: HeldElsewhere,
    request_id: UUID,
    actor: str,
    actor_role: str,
    decision: rules.Decision,
    reason: str,
    corrected_identity: dict | None = None,
) -> Answer:
    """The DPO's answer. Granting carries out the request: an access answer is the export of
    everything intake holds about the reporter (kept sealed for the reporter to fetch), a
    correction reseals the identity, a restriction stops contact, a deletion erases."""
    now = datetime.now(UTC)
    async with conn.transaction():
        found = await repository.request(conn=conn, request_id=request_id, lock=True)
        if found is None:
            raise rules.not_found()
        complaint_id = found["complaint_id"]
        if not rules.may_answer(actor_role):
            await _audit(
                conn=conn, complaint_id=complaint_id, request_id=request_id, action="answer_refused_role",
                actor=actor, actor_role=actor_role, reason=None, at=now,
            )  # fmt: skip
    if not rules.may_answer(actor_role):
        log.warning("privacy_answer_refused_role", request_id=str(request_id), actor_role=actor_role)
        raise rules.answer_refused_for_role()
    rules.check_open(found["state"])
    rules.check_answer(kind=found["kind"], decision=decision, reason=reason, corrected_identity=corrected_identity)
    kind = found["kind"]
    # Asked before the transaction: no database transaction waits on another service.
    held_elsewhere = await elsewhere.about(complaint_id) if decision == "answered" and kind == "access" else {}
    if decision == "answered" and kind == "deletion":
        await erase_complaint(
            conn=conn, store=store, complaint_id=complaint_id, actor=actor, actor_role=actor_role,
            reason=f"deletion request {request_id}", elsewhere=elsewhere, request_id=request_id,
        )  # fmt: skip
        now = datetime.now(UTC)  # the answer follows the erasure in the audit
    async with conn.transaction():
        found = await repository.request(conn=conn, request_id=request_id, lock=True)
        assert found is not None
        rules.check_open(found["state"])
        exported: dict | None = None
        if decision == "answered":
            if kind == "access":
                exported = await export.personal_data_export(
                    conn=conn, sealer=sealer, complaint_id=complaint_id, generated_at=now, held_elsewhere=held_elsewhere
                )
            elif kind == "correction":
                await _correct_identity(conn=conn, sealer=sealer, complaint_id=complaint_id, identity=corrected_identity)
            elif kind == "restriction":
                await repository.restrict_processing(conn=conn, complaint_id=complaint_id, at=now)
            if kind != "deletion":  # erase_complaint audited the erasure itself
                await _audit(
                    conn=conn, complaint_id=complaint_id, request_id=request_id, action=rules.EFFECTS[kind],
                    actor=actor, actor_role=actor_role, reason=None, at=now,
                )  # fmt: skip
        await repository.close_request(
            conn=conn,
            request_id=request_id,
            state=decision,
            answered_by=actor,
            reason=reason,
            answered_at=now,
            export_sealed=sealer.seal(exported, bound_to=request_id.bytes) if exported is not None else None,
        )
        await _audit(
            conn=conn, complaint_id=complaint_id, request_id=request_id, action=f"request_{decision}",
            actor=actor, actor_role=actor_role, reason=reason, at=now,
        )  # fmt: skip
    log.info("privacy_request_closed", request_id=str(request_id), kind=kind, state=decision)
    return Answer(
        request_id=request_id, complaint_id=complaint_id, kind=kind, state=decision, reason=reason,
        answered_at=now, export=exported,
    )  # fmt: skip


async def _correct_identity(
    *, conn: asyncpg.Connection, sealer: Sealer, complaint_id: UUID, identity: dict | None
) -> None:
    held = await repository.held_complaint(conn=conn, complaint_id=complaint_id, lock=True)
    assert held is not None and identity
    if held["personal_data_erased_at"] is not None:
        raise rules.already_erased()
    current: dict = {}
    if held["reporter_identity"] is not None:
        opened = sealer.open(bytes(held["reporter_identity"]), bound_to=complaint_id.bytes)
        current = opened if isinstance(opened, dict) else {}
    corrected = current | {key: value for key, value in identity.items() if value}
    await repository.replace_identity(
        conn=conn, complaint_id=complaint_id, sealed_identity=sealer.seal(corrected, bound_to=complaint_id.bytes)
    )


async def reporters_requests(
    *, conn: asyncpg.Connection, sealer: Sealer, complaint_id: UUID, with_exports: bool = True
) -> list[dict]:
    """The reporter's own requests with their answers; an access answer carries its export,
    and each delivery of an export is audited. Without exports (a page that only lists the
    requests) nothing is delivered, so nothing is audited."""
    rows = await repository.requests_of_complaint(conn=conn, complaint_id=complaint_id)
    if not with_exports:
        return [request_view(row, sealer=sealer, with_details=False, with_export=False) for row in rows]
    answered_exports = [row for row in rows if row["export_sealed"] is not None]
    if answered_exports:
        async with conn.transaction():
            for row in answered_exports:
                await _audit(
                    conn=conn, complaint_id=complaint_id, request_id=row["id"], action="export_delivered",
                    actor=REPORTER_ACTOR, actor_role=REPORTER_ROLE, reason=None, at=datetime.now(UTC),
                )  # fmt: skip
    return [request_view(row, sealer=sealer, with_details=False) for row in rows]


async def staff_request(
    *, conn: asyncpg.Connection, sealer: Sealer, request_id: UUID, export_to: tuple[str, str] | None
) -> dict | None:
    """One request as staff read it; its export only for the dpo named in `export_to`
    (actor, role), and each such delivery is audited. None for an unknown request."""
    row = await repository.request(conn=conn, request_id=request_id)
    if row is None:
        return None
    with_export = export_to is not None and row["export_sealed"] is not None
    if with_export:
        actor, actor_role = export_to
        if not rules.may_answer(actor_role):
            raise rules.export_refused_for_role()
        await _audit(
            conn=conn, complaint_id=row["complaint_id"], request_id=row["id"], action="export_delivered",
            actor=actor, actor_role=actor_role, reason=None, at=datetime.now(UTC),
        )  # fmt: skip
    return request_view(row, sealer=sealer, with_details=True, with_export=with_export)


def request_view(row: asyncpg.Record, *, sealer: Sealer, with_details: bool, with_export: bool = True) -> dict:
    view = {
        "id": row["id"],
        "complaint_id": row["complaint_id"],
        "kind": row["kind"],
        "proof": row["proof"],
        "received_at": row["received_at"],
        "due_at": row["due_at"],
        "overdue": row["state"] == "open" and rules.is_overdue(due=row["due_at"], now=datetime.now(UTC)),
        "state": row["state"],
        "answer_reason": row["answer_reason"],
        "answered_at": row["answered_at"],
        "export": (
            sealer.open(bytes(row["export_sealed"]), bound_to=row["id"].bytes)
            if with_export and row["export_sealed"]
            else None
        ),
        "has_export": row["export_sealed"] is not None,
    }
    if with_details:
        view["tracking_code"] = row["tracking_code"]
        view["verified_by"] = row["verified_by"]
        view["answered_by"] = row["answered_by"]
        view["details"] = (
            sealer.open(bytes(row["details_sealed"]), bound_to=row["id"].bytes) if row["details_sealed"] else None
        )
    return view


async def erase_complaint(
    *,
    conn: asyncpg.Connection,
    store: PhotoStore,
    complaint_id: UUID,
    actor: str,
    actor_role: str,
    reason: str,
    elsewhere: HeldElsewhere | None,
    request_id: UUID | None = None,
) -> bool:
    """Erase one complaint's personal data: the reporter's contact addresses at notify, the
    identity and pseudonym, each photo's original
    (after making sure its metadata-free copy exists, which stays as the complaint's record)
    and its metadata. Files go first: a crash in between leaves a run that finds the rows
    still to erase, and deleting a missing file is harmless. False when already erased."""
    held = await repository.held_complaint(conn=conn, complaint_id=complaint_id)
    if held is None or held["personal_data_erased_at"] is not None:
        return False
    if elsewhere is not None:
        await elsewhere.erase_elsewhere(complaint_id)
    for photo in await repository.held_photos(conn=conn, complaint_id=complaint_id):
        if photo["original_key"] is None:
            continue
        try:
            await stripped_copy(
                conn=conn, store=store, photo_id=photo["id"], original_key=photo["original_key"],
                public_key=photo["public_key"],
            )  # fmt: skip
        except FileNotFoundError:
            # Erasure wins over keeping a public copy of an original that is gone anyway.
            log.warning("photo_original_missing_at_erasure", photo_id=str(photo["id"]))
        if not await repository.original_shared_elsewhere(
            conn=conn, original_key=photo["original_key"], photo_id=photo["id"]
        ):
            await asyncio.to_thread(store.delete, photo["original_key"])
    now = datetime.now(UTC)
    async with conn.transaction():
        erased = await repository.erase_complaint_personal_data(conn=conn, complaint_id=complaint_id, at=now)
        if erased:
            await _audit(
                conn=conn, complaint_id=complaint_id, request_id=request_id, action="personal_data_erased",
                actor=actor, actor_role=actor_role, reason=reason, at=now,
            )  # fmt: skip
    if erased:
        log.info("personal_data_erased", complaint_id=str(complaint_id), actor_role=actor_role)
    return erased


async def audit_log(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[dict]:
    return [dict(row) for row in await repository.audit_of_complaint(conn=conn, complaint_id=complaint_id)]


async def complaint_id_of(*, conn: asyncpg.Connection, tracking_code: str) -> UUID | None:
    complaint = await complaint_repository.tracked_complaint(conn=conn, tracking_code=tracking_code)
    return complaint.id if complaint is not None else None  # type: ignore[return-value]
