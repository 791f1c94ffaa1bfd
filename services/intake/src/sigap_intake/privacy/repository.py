"""Data-subject requests, the privacy audit and the erasure of a complaint's personal data in
intake's database (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_intake.follow_up.rules import AUTO_CLOSE_NOTE
from sigap_shared.events import AUTO_CLOSE_REASON
from sigap_shared.outbox import drop_reporter_from_outbox


def note_kept_at_erasure(*, note: str, status: str) -> str:
    """SQL: whether the tracking timeline's `note` (of an entry with `status`) stays when the
    reporter is erased, because it names no one: a rejection's reason (status accepts only a
    code from its fixed list: hoax, spam, ...), status's auto-close code or the auto-close's own
    public note (AUTO_CLOSE_NOTE). Every other note is
    free text: what the reporter wrote (added information, a reopen's reason) or what staff
    wrote for them (a reason, a resolution note), which may name or quote them."""
    codes = f"'{AUTO_CLOSE_REASON}', '{AUTO_CLOSE_NOTE}'"
    return f"(({status} IS NOT DISTINCT FROM 'ditolak' AND {note} ~ '^[a-z_]+$') OR {note} IN ({codes}))"


# pg_advisory_xact_lock(class, hashtext(complaint id)): a keyspace apart from the single-key
# locks of the relay, the purge and housekeeping, and from the original files' class.
_ERASURE_LOCK_CLASS = 4_150_014


async def lock_complaints(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> None:
    """Serialise an erasure and the recording of announcements about the same complaint until the
    transaction ends. Without it, a status change recorded while an erasure runs could read the
    complaint as not erased (the erasure is not committed yet) and store its note, while the
    erasure misses that note (not committed yet either); the row lock on the complaint does not
    help, as the note's entry is inserted before the recording's update waits for it. One
    statement for a whole poll, taking the locks in id order, so two transactions never wait on
    each other in a circle."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(id::text))"
        " FROM (SELECT DISTINCT id FROM unnest($2::uuid[]) AS id ORDER BY id) AS complaint",
        _ERASURE_LOCK_CLASS,
        list(complaint_ids),
    )


async def insert_request(
    *,
    conn: asyncpg.Connection,
    request_id: UUID,
    complaint_id: UUID,
    kind: str,
    proof: str,
    verified_by: str | None,
    details_sealed: bytes | None,
    received_at: datetime,
    due_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO data_subject_requests"
        " (id, complaint_id, kind, proof, verified_by, details_sealed, received_at, due_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        request_id,
        complaint_id,
        kind,
        proof,
        verified_by,
        details_sealed,
        received_at,
        due_at,
    )


# The complaint's tracking code comes along for the officer's screens (a subquery, so that
# `FOR UPDATE` still locks the request's row alone).
_REQUEST_COLUMNS = (
    "id, complaint_id, kind, proof, verified_by, details_sealed, received_at, due_at, state, answered_by,"
    " answer_reason, answered_at, export_sealed,"
    " (SELECT c.tracking_code FROM complaints c WHERE c.id = data_subject_requests.complaint_id) AS tracking_code"
)


async def request(*, conn: asyncpg.Connection, request_id: UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_REQUEST_COLUMNS} FROM data_subject_requests WHERE id = $1" + (" FOR UPDATE" if lock else ""),
        request_id,
    )


async def requests_of_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_REQUEST_COLUMNS} FROM data_subject_requests WHERE complaint_id = $1 ORDER BY received_at, id",
        complaint_id,
    )


async def requests_in_state(*, conn: asyncpg.Connection, state: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_REQUEST_COLUMNS} FROM data_subject_requests WHERE state = $1 ORDER BY due_at, id LIMIT $2",
        state,
        limit,
    )


async def close_request(
    *,
    conn: asyncpg.Connection,
    request_id: UUID,
    state: str,
    answered_by: str,
    reason: str,
    answered_at: datetime,
    export_sealed: bytes | None,
) -> None:
    await conn.execute(
        "UPDATE data_subject_requests SET state = $2, answered_by = $3, answer_reason = $4, answered_at = $5,"
        " export_sealed = $6 WHERE id = $1",
        request_id,
        state,
        answered_by,
        reason,
        answered_at,
        export_sealed,
    )


async def add_audit(
    *,
    conn: asyncpg.Connection,
    audit_id: UUID,
    complaint_id: UUID,
    request_id: UUID | None,
    action: str,
    actor: str,
    actor_role: str,
    reason: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO privacy_audit (id, complaint_id, request_id, action, actor, actor_role, reason, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        audit_id,
        complaint_id,
        request_id,
        action,
        actor,
        actor_role,
        reason,
        at,
    )


async def audit_of_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, complaint_id, request_id, action, actor, actor_role, reason, at FROM privacy_audit"
        " WHERE complaint_id = $1 ORDER BY seq",
        complaint_id,
    )


# -- what an access answer exports ----------------------------------------------------------


async def held_complaint(*, conn: asyncpg.Connection, complaint_id: UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, tracking_code, kind, title, description, category, lat, lon, address, privacy,"
        " publicly_visible, reporter_pseudonym, reporter_identity, submitted_at, department, status,"
        " status_changed_at, resolution_note, rating, processing_restricted_at, personal_data_erased_at"
        " FROM complaints WHERE id = $1" + (" FOR UPDATE" if lock else ""),
        complaint_id,
    )


async def held_photos(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    """The reporter's own photos (evidence), not the officers' after-photos."""
    return await conn.fetch(
        "SELECT id, original_key, public_key, media_type, size_bytes, width, height, verdict, taken_at,"
        " camera_make, camera_model, software, gps_lat, gps_lon, uploaded_at"
        " FROM photos WHERE complaint_id = $1 ORDER BY uploaded_at, id",
        complaint_id,
    )


@dataclass(frozen=True, slots=True)
class HeldRecords:
    """The complaint's rows an access answer exports besides the complaint itself."""

    photos: list[asyncpg.Record]
    tracking_timeline: list[asyncpg.Record]
    # Who looked at the identity, by role only: staff names are other people's data (Art. 33).
    identity_looks: list[asyncpg.Record]
    requests: list[asyncpg.Record]


async def held_records(*, conn: asyncpg.Connection, complaint_id: UUID) -> HeldRecords:
    return HeldRecords(
        photos=await held_photos(conn=conn, complaint_id=complaint_id),
        tracking_timeline=await conn.fetch(
            "SELECT event_type, status, department, note, occurred_at FROM tracking_timeline"
            " WHERE complaint_id = $1 ORDER BY occurred_at, event_id",
            complaint_id,
        ),
        identity_looks=await conn.fetch(
            "SELECT actor_role, outcome, at FROM identity_access_log WHERE complaint_id = $1 ORDER BY at, id",
            complaint_id,
        ),
        requests=await requests_of_complaint(conn=conn, complaint_id=complaint_id),
    )


# -- correction, restriction, erasure -------------------------------------------------------


async def replace_identity(*, conn: asyncpg.Connection, complaint_id: UUID, sealed_identity: bytes) -> None:
    await conn.execute("UPDATE complaints SET reporter_identity = $2 WHERE id = $1", complaint_id, sealed_identity)


async def restrict_processing(*, conn: asyncpg.Connection, complaint_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE complaints SET processing_restricted_at = coalesce(processing_restricted_at, $2) WHERE id = $1",
        complaint_id,
        at,
    )


async def complaints_due_for_erasure(*, conn: asyncpg.Connection, closed_before: datetime, limit: int) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM complaints WHERE personal_data_erased_at IS NULL AND status IN ('selesai', 'ditolak')"
        " AND status_changed_at < $1 ORDER BY status_changed_at, id LIMIT $2",
        closed_before,
        limit,
    )
    return [row["id"] for row in rows]


async def original_shared_elsewhere(*, conn: asyncpg.Connection, original_key: str, photo_id: UUID) -> bool:
    """Originals are content-addressed: the same bytes uploaded again share one file."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM photos WHERE original_key = $1 AND id <> $2)", original_key, photo_id
        )
    )


async def erase_complaint_personal_data(*, conn: asyncpg.Connection, complaint_id: UUID, at: datetime) -> bool:
    """Identity, pseudonym (also in the outbox's events), the photos' originals and metadata, and
    the free-text notes of the tracking timeline and the resolution note; False when already
    erased (or locked by another replica's run). The caller's transaction must not have locked
    the complaint's row yet: the erasure's lock comes first, as in the consumer."""
    await lock_complaints(conn=conn, complaint_ids=[complaint_id])
    erased = await conn.fetchval(
        "UPDATE complaints SET reporter_identity = NULL, reporter_pseudonym = NULL, resolution_note = NULL,"
        " personal_data_erased_at = $2 WHERE id = $1 AND personal_data_erased_at IS NULL RETURNING true",
        complaint_id,
        at,
    )
    if not erased:
        return False
    await conn.execute(
        "UPDATE photos SET original_key = NULL, gps_lat = NULL, gps_lon = NULL, camera_make = NULL,"
        " camera_model = NULL, software = NULL, taken_at = NULL WHERE complaint_id = $1",
        complaint_id,
    )
    # The multi-view reuse check's features hold a small grey thumbnail of the photo; its SIFT
    # keys (SIGAP_PHOTO_REUSE_KEYS) describe the photo's details, and go with them.
    await conn.execute(
        "DELETE FROM photo_features WHERE photo_id IN (SELECT id FROM photos WHERE complaint_id = $1)", complaint_id
    )
    await conn.execute(
        "DELETE FROM photo_reuse_keys WHERE photo_id IN (SELECT id FROM photos WHERE complaint_id = $1)", complaint_id
    )
    # The entries stay (the complaint stays trackable: what happened, when, which department).
    await conn.execute(
        "UPDATE tracking_timeline SET note = NULL WHERE complaint_id = $1 AND note IS NOT NULL"
        f" AND NOT {note_kept_at_erasure(note='note', status='status')}",
        complaint_id,
    )
    # A request's own words may name the reporter; its export held everything.
    await conn.execute(
        "UPDATE data_subject_requests SET details_sealed = NULL, export_sealed = NULL WHERE complaint_id = $1",
        complaint_id,
    )
    # The submission event (sent or still waiting) carries the pseudonym.
    await drop_reporter_from_outbox(conn=conn, complaint_id=complaint_id)
    return True
