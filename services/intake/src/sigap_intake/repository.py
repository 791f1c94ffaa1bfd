"""Intake's SQL. Functions take a connection and never commit: the handler owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from sigap_intake import photo_checks
from sigap_intake.capture import CaptureSession, VideoTrack
from sigap_intake.domain import AcceptedComplaint, RetryKey
from sigap_shared.events import Envelope
from sigap_shared.outbox import add_to_outbox


# -- idempotency keys ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: bytes
    status_code: int
    sealed_response: bytes


async def claim_retry_key(
    *, conn: asyncpg.Connection, retry: RetryKey, ttl_s: int
) -> StoredResponse | None:
    """None when this request now owns the key (the caller does the work and stores the
    result); else the first request's stored result. A concurrent first request that has not
    committed yet makes this wait on the primary key until it commits or rolls back."""
    claim = (
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true"
    )
    if await conn.fetchval(claim, retry.scope, retry.key, retry.request_hash):
        return None
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response, created_at < now() - make_interval(secs => $3) AS expired"
        " FROM idempotency_keys WHERE scope = $1 AND key = $2",
        retry.scope,
        retry.key,
        float(ttl_s),
    )
    if row["expired"]:
        # A key older than its time to live starts afresh (the common path above stays one statement).
        await conn.execute("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2", retry.scope, retry.key)
        await conn.fetchval(claim, retry.scope, retry.key, retry.request_hash)
        return None
    return StoredResponse(
        request_hash=bytes(row["request_hash"]),
        status_code=row["status_code"],
        sealed_response=bytes(row["response"]),
    )


async def store_retry_response(
    *, conn: asyncpg.Connection, retry: RetryKey, status_code: int, sealed_response: bytes
) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2",
        retry.scope,
        retry.key,
        status_code,
        sealed_response,
    )


# -- complaints ---------------------------------------------------------------------------


async def insert_complaint(
    *,
    conn: asyncpg.Connection,
    complaint: AcceptedComplaint,
    sealed_identity: bytes | None,
    events: Sequence[Envelope],
) -> bool:
    """Store the complaint and queue its events (in the caller's transaction); False (and
    nothing written) when the tracking code is already taken (the caller draws a new one)."""
    command = complaint.command
    inserted = await conn.fetchval(
        """
        INSERT INTO complaints (
            id, tracking_code, follow_up_token_hash, kind, title, description, category,
            lat, lon, address, privacy, reporter_pseudonym, reporter_identity, photo_verdict,
            photo_gps_far, submitted_at, publicly_visible)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        ON CONFLICT (tracking_code) DO NOTHING
        RETURNING true
        """,
        complaint.id,
        complaint.tracking_code,
        complaint.follow_up_token_hash,
        command.kind,
        command.title,
        command.description,
        command.category,
        command.location.lat if command.location else None,
        command.location.lon if command.location else None,
        command.address,
        command.privacy,
        complaint.reporter_pseudonym,
        sealed_identity,
        complaint.photo_verdict,
        any(r.code == "gps_far_from_location" for p in complaint.photos for r in p.reasons),
        complaint.submitted_at,
        command.is_listed_publicly,
    )
    if not inserted:
        return False
    await add_to_outbox(conn=conn, envelopes=events)
    return True


async def sealed_identity_of(*, conn: asyncpg.Connection, complaint_id: UUID) -> bytes | None:
    sealed = await conn.fetchval("SELECT reporter_identity FROM complaints WHERE id = $1", complaint_id)
    return bytes(sealed) if sealed is not None else None


# -- capture sessions ---------------------------------------------------------------------


async def insert_capture_session(*, conn: asyncpg.Connection, session: CaptureSession) -> None:
    await conn.execute(
        "INSERT INTO capture_sessions (id, started_at, expires_at, source, track_width, track_height)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        session.id,
        session.started_at,
        session.expires_at,
        session.source,
        session.track.width if session.track else None,
        session.track.height if session.track else None,
    )


@dataclass(frozen=True, slots=True)
class CaptureSessionRow:
    session: CaptureSession
    used_at: datetime | None


async def lock_capture_session(*, conn: asyncpg.Connection, session_id: UUID) -> CaptureSessionRow | None:
    row = await conn.fetchrow(
        "SELECT id, started_at, expires_at, used_at, source, track_width, track_height"
        " FROM capture_sessions WHERE id = $1 FOR UPDATE",
        session_id,
    )
    if row is None:
        return None
    track = VideoTrack(row["track_width"], row["track_height"]) if row["track_width"] is not None else None
    return CaptureSessionRow(
        session=CaptureSession(
            id=row["id"], started_at=row["started_at"], expires_at=row["expires_at"], source=row["source"], track=track
        ),
        used_at=row["used_at"],
    )


async def mark_capture_session_used(*, conn: asyncpg.Connection, session_id: UUID, used_at: datetime) -> None:
    await conn.execute("UPDATE capture_sessions SET used_at = $2 WHERE id = $1", session_id, used_at)


# -- photos -------------------------------------------------------------------------------

_SIMILAR = """
SELECT m.photo_id, coalesce(p.complaint_id, p.after_photo_of) AS complaint_id, m.distance
FROM (
    SELECT photo_id, min(distance) AS distance
    FROM (
        SELECT photo_id, bit_count((phash # $5)::bit(64)) AS distance FROM photo_hashes
        WHERE band0 = ANY($1::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band1 = ANY($2::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band2 = ANY($3::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band3 = ANY($4::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
    ) candidates
    GROUP BY photo_id
    ORDER BY distance
    LIMIT $7
) m
LEFT JOIN photos p ON p.id = m.photo_id
ORDER BY m.distance
"""


async def find_similar_photos(
    *, conn: asyncpg.Connection, phash: int, max_distance: int, limit: int = 10
) -> list[photo_checks.SimilarPhoto]:
    """Earlier photos within `max_distance` bits, through the band indexes (never a scan)."""
    radius = photo_checks.probe_radius(max_distance)
    probes = [photo_checks.band_neighbours(band, radius) for band in photo_checks.bands(phash)]
    rows = await conn.fetch(_SIMILAR, *probes, photo_checks.to_signed(phash), max_distance, limit)
    return [
        photo_checks.SimilarPhoto(
            photo_id=row["photo_id"], complaint_id=row["complaint_id"], distance=row["distance"]
        )
        for row in rows
    ]


async def insert_photo(
    *,
    conn: asyncpg.Connection,
    photo_id: UUID,
    session_id: UUID,
    facts: photo_checks.PhotoFacts,
    size_bytes: int,
    original_key: str,
    verdict: str,
    reasons: list[photo_checks.Reason],
    similar: list[photo_checks.SimilarPhoto],
    uploaded_at: datetime,
    gps: tuple[float, float] | None = None,
) -> None:
    """`gps`: where the photo was taken; the photo's own EXIF position unless given."""
    gps = gps or facts.gps
    await conn.execute(
        """
        INSERT INTO photos (
            id, capture_session_id, sha256, media_type, size_bytes, width, height, original_key,
            verdict, reasons, taken_at, camera_make, camera_model, software,
            gps_lat, gps_lon, uploaded_at, content_credentials)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
        """,
        photo_id,
        session_id,
        facts.sha256,
        facts.media_type,
        size_bytes,
        facts.width,
        facts.height,
        original_key,
        verdict,
        orjson.dumps([reason.to_json() for reason in reasons]).decode(),
        facts.taken_at,
        facts.camera_make,
        facts.camera_model,
        facts.software,
        gps[0] if gps else None,
        gps[1] if gps else None,
        uploaded_at,
        orjson.dumps(facts.credentials.to_json()).decode() if facts.credentials.state != "absent" else None,
    )
    phash_bands = photo_checks.bands(facts.phash)
    await conn.execute(
        "INSERT INTO photo_hashes (photo_id, phash, band0, band1, band2, band3) VALUES ($1, $2, $3, $4, $5, $6)",
        photo_id,
        photo_checks.to_signed(facts.phash),
        *phash_bands,
    )
    if similar:
        await conn.executemany(
            "INSERT INTO photo_matches (photo_id, earlier_photo_id, distance) VALUES ($1, $2, $3)",
            [(photo_id, match.photo_id, match.distance) for match in similar],
        )


@dataclass(frozen=True, slots=True)
class PhotoRow:
    id: UUID
    complaint_id: UUID | None
    reasons: tuple[photo_checks.Reason, ...]
    gps: tuple[float, float] | None
    verdict: str = "verified_live"
    after_photo_of: UUID | None = None

    @property
    def in_use(self) -> bool:
        return self.complaint_id is not None or self.after_photo_of is not None


async def lock_photos(*, conn: asyncpg.Connection, photo_ids: list[UUID]) -> dict[UUID, PhotoRow]:
    rows = await conn.fetch(
        "SELECT id, complaint_id, after_photo_of, verdict, reasons, gps_lat, gps_lon FROM photos"
        " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        photo_ids,
    )
    return {
        row["id"]: PhotoRow(
            id=row["id"],
            complaint_id=row["complaint_id"],
            reasons=tuple(photo_checks.Reason.from_json(r) for r in orjson.loads(row["reasons"])),
            gps=(row["gps_lat"], row["gps_lon"]) if row["gps_lat"] is not None else None,
            verdict=row["verdict"],
            after_photo_of=row["after_photo_of"],
        )
        for row in rows
    }


async def attach_photos(
    *, conn: asyncpg.Connection, complaint_id: UUID, photos: list[tuple[UUID, str, list[photo_checks.Reason]]]
) -> None:
    await conn.executemany(
        "UPDATE photos SET complaint_id = $1, verdict = $3, reasons = $4 WHERE id = $2",
        [
            (complaint_id, photo_id, verdict, orjson.dumps([r.to_json() for r in reasons]).decode())
            for photo_id, verdict, reasons in photos
        ],
    )


async def claim_after_photos(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    photos: list[tuple[UUID, str, list[photo_checks.Reason]]],
    claimed_at: datetime,
) -> None:
    await conn.executemany(
        "UPDATE photos SET after_photo_of = $1, verdict = $3, reasons = $4, claimed_at = $5 WHERE id = $2",
        [
            (complaint_id, photo_id, verdict, orjson.dumps([r.to_json() for r in reasons]).decode(), claimed_at)
            for photo_id, verdict, reasons in photos
        ],
    )


@dataclass(frozen=True, slots=True)
class PhotoExposure:
    """Where a photo is used, as far as showing it to the public is concerned."""

    id: UUID
    original_key: str
    public_key: str | None
    evidence_listed_publicly: bool
    after_photo_status: str | None
    announced_after_photos: tuple[UUID, ...]


async def photo_exposure(*, conn: asyncpg.Connection, photo_id: UUID) -> PhotoExposure | None:
    row = await conn.fetchrow(
        """
        SELECT p.id, p.original_key, p.public_key,
               coalesce(e.privacy = 'publik' AND e.publicly_visible, false) AS evidence_listed_publicly,
               a.status AS after_photo_status, coalesce(a.after_photo_ids, '{}') AS announced_after_photos
        FROM photos p
        LEFT JOIN complaints e ON e.id = p.complaint_id
        LEFT JOIN complaints a ON a.id = p.after_photo_of
        WHERE p.id = $1
        """,
        photo_id,
    )
    if row is None:
        return None
    return PhotoExposure(
        id=row["id"],
        original_key=row["original_key"],
        public_key=row["public_key"],
        evidence_listed_publicly=row["evidence_listed_publicly"],
        after_photo_status=row["after_photo_status"],
        announced_after_photos=tuple(row["announced_after_photos"]),
    )


async def set_public_key(*, conn: asyncpg.Connection, photo_id: UUID, public_key: str) -> None:
    await conn.execute("UPDATE photos SET public_key = $2 WHERE id = $1", photo_id, public_key)


# -- status's requests: the complaint as judged against, and the identity audit log -------


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    id: UUID
    category: str | None
    location: tuple[float, float] | None
    privacy: str


async def complaint_facts(*, conn: asyncpg.Connection, complaint_id: UUID) -> ComplaintFacts | None:
    row = await conn.fetchrow("SELECT id, category, lat, lon, privacy FROM complaints WHERE id = $1", complaint_id)
    if row is None:
        return None
    return ComplaintFacts(
        id=row["id"],
        category=row["category"],
        location=(row["lat"], row["lon"]) if row["lat"] is not None and row["lon"] is not None else None,
        privacy=row["privacy"],
    )


async def insert_identity_access(
    *,
    conn: asyncpg.Connection,
    audit_id: UUID,
    complaint_id: UUID,
    actor: str,
    actor_role: str,
    reason: str,
    outcome: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO identity_access_log (id, complaint_id, actor, actor_role, reason, outcome, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        audit_id,
        complaint_id,
        actor,
        actor_role,
        reason,
        outcome,
        at,
    )


async def identity_access_log(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id AS audit_id, complaint_id, actor, actor_role, reason, outcome, at FROM identity_access_log"
        " WHERE complaint_id = $1 ORDER BY at DESC, id",
        complaint_id,
    )


# -- tracking and follow-up ---------------------------------------------------------------


async def tracked_complaint(*, conn: asyncpg.Connection, tracking_code: str, lock: bool = False):
    from sigap_intake.follow_up import TrackedComplaint

    row = await conn.fetchrow(
        "SELECT id, tracking_code, follow_up_token_hash, privacy, publicly_visible, status, status_changed_at, rating"
        " FROM complaints WHERE tracking_code = $1" + (" FOR UPDATE" if lock else ""),
        tracking_code,
    )
    if row is None:
        return None
    return TrackedComplaint(
        id=row["id"],
        tracking_code=row["tracking_code"],
        follow_up_token_hash=bytes(row["follow_up_token_hash"]),
        privacy=row["privacy"],
        publicly_visible=row["publicly_visible"],
        status=row["status"],
        status_changed_at=row["status_changed_at"],
        rating=row["rating"],
    )


async def tracking_view(*, conn: asyncpg.Connection, complaint_id: UUID) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    complaint = await conn.fetchrow(
        "SELECT tracking_code, kind, title, description, category, address, privacy, publicly_visible, status, department,"
        " submitted_at, status_changed_at, resolution_note, after_photo_ids, photo_verdict, rating"
        " FROM complaints WHERE id = $1",
        complaint_id,
    )
    timeline = await conn.fetch(
        "SELECT event_type, status, department, note, occurred_at FROM tracking_timeline"
        " WHERE complaint_id = $1 ORDER BY occurred_at, event_id",
        complaint_id,
    )
    return complaint, list(timeline)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A change another service announced about one of intake's complaints."""

    event_id: UUID
    complaint_id: UUID
    event_type: str
    occurred_at: datetime
    department: str
    status: str | None = None
    public_note: str | None = None
    resolution_note: str | None = None
    after_photo_ids: tuple[UUID, ...] = ()


# A run of announcements (distinct complaints) is one statement: the public timeline entries
# and, for each entry that is new and about a complaint of this intake's, the tracked complaint.
# The updates name their rows by id ($2) as well as through the join, so PostgreSQL looks them
# up by key instead of scanning the table to join it with a list it cannot size.
_ANNOUNCED = """
    WITH announced AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                             $7::text[], $8::text[], $9::text[])
            AS a(event_id, complaint_id, event_type, occurred_at, department, status, public_note,
                 resolution_note, after_photo_ids)
    ), entry AS (
        INSERT INTO tracking_timeline (event_id, complaint_id, event_type, status, department, note, occurred_at)
        SELECT a.event_id, a.complaint_id, a.event_type, a.status, a.department, a.public_note, a.occurred_at
        FROM announced a WHERE a.complaint_id IN (SELECT id FROM complaints WHERE id = ANY($2::uuid[]))
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
"""


def _announcement_columns(announcements: Sequence[Announcement]) -> list[list[object]]:
    return [
        [a.event_id for a in announcements],
        [a.complaint_id for a in announcements],
        [a.event_type for a in announcements],
        [a.occurred_at for a in announcements],
        [a.department for a in announcements],
        [a.status for a in announcements],
        [a.public_note for a in announcements],
        [a.resolution_note for a in announcements],
        # uuid[][] cannot be unnested row by row; each row's ids travel as one text.
        [",".join(str(photo_id) for photo_id in a.after_photo_ids) for a in announcements],
    ]


async def record_routings(*, conn: asyncpg.Connection, announcements: Sequence[Announcement]) -> None:
    await conn.execute(
        _ANNOUNCED
        + """
        UPDATE complaints SET department = a.department
        FROM entry JOIN announced a USING (event_id)
        WHERE complaints.id = ANY($2::uuid[]) AND complaints.id = a.complaint_id
        """,
        *_announcement_columns(announcements),
    )


async def record_status_changes(*, conn: asyncpg.Connection, announcements: Sequence[Announcement]) -> None:
    # Events from different topics may arrive out of order: the latest change wins.
    await conn.execute(
        _ANNOUNCED
        + """
        UPDATE complaints SET status = a.status, department = a.department, status_changed_at = a.occurred_at,
            resolution_note = coalesce(a.resolution_note, complaints.resolution_note),
            after_photo_ids = CASE WHEN a.after_photo_ids <> ''
                                   THEN string_to_array(a.after_photo_ids, ',')::uuid[]
                                   ELSE complaints.after_photo_ids END
        FROM entry JOIN announced a USING (event_id)
        WHERE complaints.id = ANY($2::uuid[]) AND complaints.id = a.complaint_id
          AND (complaints.status_changed_at IS NULL OR complaints.status_changed_at <= a.occurred_at)
        """,
        *_announcement_columns(announcements),
    )


async def set_rating(*, conn: asyncpg.Connection, complaint_id: UUID, rating: int) -> None:
    await conn.execute("UPDATE complaints SET rating = $2 WHERE id = $1", complaint_id, rating)


async def sealed_identity_by_pseudonym(*, conn: asyncpg.Connection, pseudonym: str) -> tuple[UUID, bytes] | None:
    row = await conn.fetchrow(
        "SELECT id, reporter_identity FROM complaints WHERE reporter_pseudonym = $1"
        " AND reporter_identity IS NOT NULL ORDER BY submitted_at DESC LIMIT 1",
        pseudonym,
    )
    return (row["id"], bytes(row["reporter_identity"])) if row else None


# -- Open311 ------------------------------------------------------------------------------

_OPEN311_COLUMNS = """
    c.id, c.category, c.description, c.address, c.lat, c.lon, c.status, c.department,
    c.resolution_note, c.submitted_at, c.status_changed_at,
    (SELECT t.note FROM tracking_timeline t WHERE t.complaint_id = c.id AND t.note IS NOT NULL
     ORDER BY t.occurred_at DESC LIMIT 1) AS last_note,
    (SELECT p.id FROM photos p WHERE p.complaint_id = c.id ORDER BY p.uploaded_at, p.id LIMIT 1) AS first_photo_id
"""


async def open311_requests(
    *,
    conn: asyncpg.Connection,
    complaint_ids: list[UUID] | None,
    category: str | None,
    start: datetime,
    end: datetime,
    closed: bool | None,
    closed_statuses: list[str],
    limit: int = 1000,
) -> list[asyncpg.Record]:
    """Public reports only: confidential and anonymous ones never appear in Open311 listings."""
    return await conn.fetch(
        f"""
        SELECT {_OPEN311_COLUMNS} FROM complaints c
        WHERE c.privacy = 'publik' AND c.publicly_visible
          AND ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[]))
          AND ($2::text IS NULL OR c.category = $2)
          AND ($1::uuid[] IS NOT NULL OR c.submitted_at BETWEEN $3 AND $4)
          AND ($5::boolean IS NULL OR (c.status = ANY($6::text[])) = $5)
        ORDER BY c.submitted_at DESC
        LIMIT $7
        """,
        complaint_ids,
        category,
        start,
        end,
        closed,
        closed_statuses,
        limit,
    )


async def complaint_id_by_token_hash(*, conn: asyncpg.Connection, token_hash: bytes) -> UUID | None:
    return await conn.fetchval("SELECT id FROM complaints WHERE follow_up_token_hash = $1", token_hash)
