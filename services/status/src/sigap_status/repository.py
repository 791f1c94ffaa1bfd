"""Status's SQL. Functions take a connection and never commit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from sigap_shared.events import ComplaintSubmitted
from sigap_status.queue import QueueFilter, build_query


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    complaint_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    actor: str
    detail: dict[str, Any]


def _timeline_columns(entries: Sequence[TimelineEntry]) -> list[list[Any]]:
    return [
        [entry.complaint_id for entry in entries],
        [entry.event_id for entry in entries],
        [entry.event_type for entry in entries],
        [entry.occurred_at for entry in entries],
        [entry.actor for entry in entries],
        [orjson.dumps(entry.detail, default=str).decode() for entry in entries],
    ]


def _timeline_insert(first: int) -> str:
    return (
        "INSERT INTO timeline (complaint_id, event_id, event_type, occurred_at, actor, detail)"
        f" SELECT * FROM unnest(${first}::uuid[], ${first + 1}::uuid[], ${first + 2}::text[],"
        f" ${first + 3}::timestamptz[], ${first + 4}::text[], ${first + 5}::jsonb[])"
        " ON CONFLICT (event_id) DO NOTHING"
    )


async def record_submitted(
    *, conn: asyncpg.Connection, complaints: Sequence[ComplaintSubmitted], entries: Sequence[TimelineEntry]
) -> list[asyncpg.Record]:
    """Store (or complete) submitted complaints and their timeline entries in one statement.
    The complaint ids must be distinct. Returns the complaints that were routed before their
    submission arrived and wait to be received (id, tracking_code, department, category);
    their rows stay locked until the transaction ends."""
    return await conn.fetch(
        """
        WITH stored AS (
            INSERT INTO complaints (id, tracking_code, kind, category, submitted_at, title, description, address,
                                    privacy, reporter_pseudonym, reporter_channels, lat, lon, publicly_visible)
            SELECT c.id, c.tracking_code, c.kind, c.category, c.submitted_at, c.title, c.description, c.address,
                   c.privacy, c.pseudonym, coalesce(string_to_array(c.channels, ','), '{}'), c.lat, c.lon,
                   c.privacy = 'publik' AND c.publicly_visible
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[], $13::float8[],
                        $14::boolean[])
                 AS c(id, tracking_code, kind, category, submitted_at, title, description, address, privacy,
                      pseudonym, channels, lat, lon, publicly_visible)
            ORDER BY c.id
            ON CONFLICT (id) DO UPDATE SET
                lat = EXCLUDED.lat,
                lon = EXCLUDED.lon,
                reporter_pseudonym = EXCLUDED.reporter_pseudonym,
                reporter_channels = EXCLUDED.reporter_channels,
                kind = EXCLUDED.kind,
                category = COALESCE(complaints.category, EXCLUDED.category),
                submitted_at = EXCLUDED.submitted_at,
                title = EXCLUDED.title,
                description = EXCLUDED.description,
                address = EXCLUDED.address,
                privacy = EXCLUDED.privacy,
                publicly_visible = EXCLUDED.publicly_visible,
                updated_at = now()
            RETURNING id, tracking_code, department, category, status
        ), timeline_entries AS (
        """
        + _timeline_insert(15)
        + """
        )
        SELECT id, tracking_code, department, category FROM stored
        WHERE department IS NOT NULL AND status IS NULL
        ORDER BY id
        """,
        [c.complaint_id for c in complaints],
        [c.tracking_code for c in complaints],
        [c.kind for c in complaints],
        [c.category for c in complaints],
        [c.submitted_at for c in complaints],
        [c.title for c in complaints],
        [c.description for c in complaints],
        [c.address for c in complaints],
        [c.privacy for c in complaints],
        [c.reporter.pseudonym if c.reporter else None for c in complaints],
        [",".join(c.reporter.channels) if c.reporter else "" for c in complaints],
        [c.location.lat if c.location else None for c in complaints],
        [c.location.lon if c.location else None for c in complaints],
        [c.publicly_visible for c in complaints],
        *_timeline_columns(entries),
    )


@dataclass(frozen=True, slots=True)
class Placement:
    """A routed complaint's department and area."""

    complaint_id: UUID
    tracking_code: str
    department: str
    category: str | None
    routed_at: datetime | None
    kelurahan: str | None


async def place_at_departments(
    *, conn: asyncpg.Connection, placements: Sequence[Placement], entries: Sequence[TimelineEntry]
) -> dict[UUID, tuple[str | None, bool]]:
    """Place routed complaints (distinct ids) and add their timeline entries in one statement.
    Each complaint's row is written once, however much changes: every write of a complaint
    touches all of the queue's indexes. A complaint routed before its submission arrived is
    dated by its routing until then. Returns each complaint's status and whether its
    submission is known, as of this placement; the rows stay locked until the transaction
    ends (taken in id order, as every batch does, so batches never deadlock)."""
    rows = await conn.fetch(
        """
        WITH placed AS (
            INSERT INTO complaints (id, tracking_code, department, category, submitted_at, kelurahan)
            SELECT p.id, p.tracking_code, p.department, p.category, p.routed_at, p.kelurahan
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
                 AS p(id, tracking_code, department, category, routed_at, kelurahan)
            ORDER BY p.id
            ON CONFLICT (id) DO UPDATE SET
                department = EXCLUDED.department,
                category = COALESCE(EXCLUDED.category, complaints.category),
                kelurahan = COALESCE(EXCLUDED.kelurahan, complaints.kelurahan),
                version = complaints.version + 1,
                updated_at = now()
            RETURNING id, status, kind IS NOT NULL AS submitted
        ), timeline_entries AS (
        """
        + _timeline_insert(7)
        + """
        )
        SELECT id, status, submitted FROM placed
        """,
        [p.complaint_id for p in placements],
        [p.tracking_code for p in placements],
        [p.department for p in placements],
        [p.category for p in placements],
        [p.routed_at for p in placements],
        [p.kelurahan for p in placements],
        *_timeline_columns(entries),
    )
    return {row["id"]: (row["status"], row["submitted"]) for row in rows}


@dataclass(frozen=True, slots=True)
class Reception:
    """A complaint received at its department, and its first deadline."""

    complaint_id: UUID
    status: str
    received_at: datetime
    sla_stage: str | None
    sla_due_at: datetime | None


async def receive(
    *, conn: asyncpg.Connection, receptions: Sequence[Reception], entries: Sequence[TimelineEntry]
) -> None:
    """Record the receptions (complaints placed and submitted, locked by this transaction)
    and their timeline entries in one statement."""
    await conn.execute(
        """
        WITH received AS (
            UPDATE complaints c SET
                status = r.status,
                received_at = r.received_at,
                sla_stage = r.sla_stage,
                sla_due_at = r.sla_due_at,
                sla_breached_at = NULL,
                version = c.version + 1,
                updated_at = now()
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[])
                 AS r(id, status, received_at, sla_stage, sla_due_at)
            WHERE c.id = r.id AND c.status IS NULL
            RETURNING 1
        )
        """
        + _timeline_insert(6),
        [r.complaint_id for r in receptions],
        [r.status for r in receptions],
        [r.received_at for r in receptions],
        [r.sla_stage for r in receptions],
        [r.sla_due_at for r in receptions],
        *_timeline_columns(entries),
    )


async def add_timeline_entry(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    event_id: UUID,
    event_type: str,
    occurred_at: datetime,
    actor: str,
    detail: dict[str, Any],
) -> None:
    await conn.execute(
        """
        INSERT INTO timeline (complaint_id, event_id, event_type, occurred_at, actor, detail)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (event_id) DO NOTHING
        """,
        complaint_id,
        event_id,
        event_type,
        occurred_at,
        actor,
        orjson.dumps(detail, default=str).decode(),
    )


# What the public may see at all: complaints whose reporter chose `publik` and to be listed.
PUBLICLY_SHOWN = "privacy = 'publik' AND publicly_visible"


async def get_public_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, kind, category, department, status, version, submitted_at, updated_at"
        f" FROM complaints WHERE id = $1 AND {PUBLICLY_SHOWN}",
        complaint_id,
    )


async def get_timeline(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, event_type, occurred_at, actor, detail FROM timeline"
        " WHERE complaint_id = $1 ORDER BY occurred_at, id",
        complaint_id,
    )


COMPLAINT_COLUMNS = (
    "id, tracking_code, kind, category, department, status, version, submitted_at, updated_at,"
    " title, description, address, kelurahan, privacy, supporting_departments, assigned_officer,"
    " received_at, verified_at, resolved_at, resolution_note, after_photo_ids, rejection_reason,"
    " duplicate_of, sla_stage, sla_due_at, sla_breached_at, reporter_pseudonym, reporter_channels, lat, lon, sla_paused_at"
)


async def get_complaint_for_update(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1 FOR UPDATE", complaint_id)


async def get_complaint_full(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1", complaint_id)


async def apply_transition(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    expected_version: int,
    status: str,
    at: datetime,
    rejection_reason: str | None,
    duplicate_of: UUID | None,
    resolution_note: str | None,
    after_photo_ids: list[UUID],
    sla_stage: str | None,
    sla_due_at: datetime | None,
    same_deadline: bool = False,
) -> int | None:
    """Move the complaint if it is still at `expected_version`; returns the new version
    (None when it changed meanwhile)."""
    return await conn.fetchval(
        """
        UPDATE complaints SET
            status = $3,
            version = version + 1,
            updated_at = now(),
            verified_at = CASE WHEN $3 = 'terverifikasi' THEN $4 ELSE verified_at END,
            resolved_at = CASE WHEN $3 = 'selesai' THEN $4 WHEN $3 = 'dibuka_kembali' THEN NULL ELSE resolved_at END,
            rejection_reason = CASE WHEN $3 = 'ditolak' THEN $5 ELSE rejection_reason END,
            duplicate_of = CASE WHEN $3 = 'ditolak' THEN $6 ELSE duplicate_of END,
            resolution_note = CASE WHEN $3 = 'selesai' THEN $7 ELSE resolution_note END,
            after_photo_ids = CASE WHEN $3 = 'selesai' THEN $8::uuid[] ELSE after_photo_ids END,
            sla_stage = $9,
            sla_due_at = $10,
            -- A deadline that keeps running keeps its breach, so it is reported only once.
            sla_breached_at = CASE WHEN $11 THEN sla_breached_at ELSE NULL END,
            sla_paused_at = NULL
        WHERE id = $1 AND version = $2
        RETURNING version
        """,
        complaint_id,
        expected_version,
        status,
        at,
        rejection_reason,
        duplicate_of,
        resolution_note,
        after_photo_ids,
        sla_stage,
        sla_due_at,
        same_deadline,
    )


async def assign_officer(
    *, conn: asyncpg.Connection, complaint_id: UUID, expected_version: int, officer: str | None
) -> int | None:
    return await conn.fetchval(
        "UPDATE complaints SET assigned_officer = $3, version = version + 1, updated_at = now()"
        " WHERE id = $1 AND version = $2 RETURNING version",
        complaint_id,
        expected_version,
        officer,
    )


async def hand_on_lead(
    *, conn: asyncpg.Connection, complaint_id: UUID, department: str, supporting: list[str]
) -> asyncpg.Record | None:
    """Make `department` the lead; its field officer assignment does not travel with it.
    Returns what the complaint had before (department, officer, tracking code), or None when
    it is unknown here (its routed event has not arrived yet)."""
    before = await conn.fetchrow(
        "SELECT department, assigned_officer, tracking_code FROM complaints WHERE id = $1 FOR UPDATE", complaint_id
    )
    if before is None:
        return None
    await conn.execute(
        """
        UPDATE complaints SET department = $2, supporting_departments = $3, assigned_officer = NULL,
            version = version + 1, updated_at = now()
        WHERE id = $1
        """,
        complaint_id,
        department,
        supporting,
    )
    return before


async def set_supporting_departments(
    *, conn: asyncpg.Connection, complaint_id: UUID, departments: list[str]
) -> None:
    await conn.execute(
        "UPDATE complaints SET supporting_departments = $2, version = version + 1, updated_at = now() WHERE id = $1",
        complaint_id,
        departments,
    )


# -- staff accounts -------------------------------------------------------------------------


async def create_staff_user(
    *, conn: asyncpg.Connection, username: str, password_hash: str, role: str, department: str | None
) -> bool:
    """False when the username is taken."""
    inserted = await conn.fetchval(
        "INSERT INTO staff_users (username, password_hash, role, department) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (username) DO NOTHING RETURNING true",
        username,
        password_hash,
        role,
        department,
    )
    return bool(inserted)


async def get_staff_user(*, conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT username, password_hash, role, department, active, created_at FROM staff_users WHERE username = $1",
        username,
    )


async def list_staff_users(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT username, role, department, active, created_at FROM staff_users ORDER BY username"
    )


async def set_staff_active(*, conn: asyncpg.Connection, username: str, active: bool) -> bool:
    result = await conn.execute(
        "UPDATE staff_users SET active = $2, updated_at = now() WHERE username = $1", username, active
    )
    return result != "UPDATE 0"


async def set_password_hash(*, conn: asyncpg.Connection, username: str, password_hash: str) -> bool:
    result = await conn.execute(
        "UPDATE staff_users SET password_hash = $2, updated_at = now() WHERE username = $1",
        username,
        password_hash,
    )
    return result != "UPDATE 0"


async def store_refresh_token(
    *, conn: asyncpg.Connection, token_hash: bytes, family_id: UUID, username: str, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, username, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        family_id,
        username,
        expires_at,
    )


async def get_refresh_token_for_update(*, conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT token_hash, family_id, username, expires_at, used_at, revoked_at FROM refresh_tokens"
        " WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def mark_refresh_token_used(*, conn: asyncpg.Connection, token_hash: bytes) -> None:
    await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", token_hash)


async def revoke_refresh_family(*, conn: asyncpg.Connection, family_id: UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )


async def revoke_user_refresh_tokens(*, conn: asyncpg.Connection, username: str) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL", username
    )


# -- SLA sweep ------------------------------------------------------------------------------


async def claim_breached(*, conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Running deadlines that passed and were not reported yet, locked for this sweep."""
    return await conn.fetch(
        "SELECT id, tracking_code, department, status, sla_stage, sla_due_at FROM complaints"
        " WHERE sla_due_at <= $1 AND sla_breached_at IS NULL AND sla_due_at IS NOT NULL AND sla_paused_at IS NULL"
        " ORDER BY sla_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )


async def mark_breached(*, conn: asyncpg.Connection, complaint_ids: list[UUID], at: datetime) -> None:
    await conn.execute(
        """
        UPDATE complaints SET
            sla_breached_at = $2,
            verify_breached_at = CASE WHEN sla_stage = 'verify' THEN coalesce(verify_breached_at, $2) ELSE verify_breached_at END,
            finish_breached_at = CASE WHEN sla_stage = 'finish' THEN coalesce(finish_breached_at, $2) ELSE finish_breached_at END
        WHERE id = ANY($1::uuid[])
        """,
        complaint_ids,
        at,
    )


async def statistics(
    *, conn: asyncpg.Connection, department: str | None, since: datetime, until: datetime
) -> dict[str, list[asyncpg.Record]]:
    """Counts, time to verify and to finish, and SLA compliance for complaints received in
    [since, until), for one lead department or all."""
    scope = "received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR department = $3)"
    counts = await conn.fetch(
        f"SELECT department, status, category, count(*) AS count FROM complaints WHERE {scope}"
        " GROUP BY department, status, category ORDER BY department, status, category",
        since,
        until,
        department,
    )
    durations = await conn.fetch(
        f"""
        SELECT department,
               count(verified_at) AS verified,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - received_at))
                   FILTER (WHERE verified_at IS NOT NULL) AS verify_p50_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - received_at))
                   FILTER (WHERE verified_at IS NOT NULL) AS verify_p90_s,
               count(resolved_at) AS finished,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at))
                   FILTER (WHERE resolved_at IS NOT NULL) AS finish_p50_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at))
                   FILTER (WHERE resolved_at IS NOT NULL) AS finish_p90_s
        FROM complaints WHERE {scope} GROUP BY department ORDER BY department
        """,
        since,
        until,
        department,
    )
    compliance = await conn.fetch(
        f"""
        SELECT department,
               to_char(date_trunc('month', received_at AT TIME ZONE 'Asia/Jakarta'), 'YYYY-MM') AS month,
               count(*) AS received,
               count(*) FILTER (WHERE verify_breached_at IS NULL AND finish_breached_at IS NULL) AS within_sla
        FROM complaints WHERE {scope}
        GROUP BY department, month ORDER BY department, month
        """,
        since,
        until,
        department,
    )
    return {"counts": counts, "durations": durations, "compliance": compliance}


async def list_queue(*, conn: asyncpg.Connection, queue_filter: QueueFilter, now: datetime) -> list[asyncpg.Record]:
    sql, params = build_query(queue_filter, now=now)
    # asyncpg reuses prepared statements, and after five runs PostgreSQL may switch to a
    # generic plan that cannot tell a small department from a big one (seconds instead of
    # milliseconds at a million rows). The queue is always planned for its actual values.
    # SET LOCAL: the setting ends with the transaction, as pooled connections keep no state.
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return await conn.fetch(sql, *params)


async def list_public(
    *,
    conn: asyncpg.Connection,
    category: str | None,
    kelurahan: str | None,
    status: str | None,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """Complaints whose reporter chose to be public and listed, newest first: no identities,
    no text (the reporter's description may name people), no staff."""
    return await conn.fetch(
        f"""
        SELECT id, category, kelurahan, department, status, submitted_at, resolved_at, after_photo_ids
        FROM complaints
        WHERE {PUBLICLY_SHOWN} AND status IS NOT NULL AND submitted_at IS NOT NULL
          AND ($1::text IS NULL OR category = $1)
          AND ($2::text IS NULL OR kelurahan = $2)
          AND ($3::text IS NULL OR status = $3)
          AND ($4::timestamptz IS NULL OR (submitted_at, id) < ($4, $5::uuid))
        ORDER BY submitted_at DESC, id DESC
        LIMIT $6
        """,
        category,
        kelurahan,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def nearby_open_complaints(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    category: str,
    lat: float,
    lon: float,
    kelurahan: str | None,
    before: datetime,
    distance_m: float,
    limit: int = 10,
) -> list[asyncpg.Record]:
    """Earlier open complaints of the same category within `distance_m` (and in the same
    kelurahan when both are known), nearest first."""
    # A degree of latitude is ~111 km everywhere; a degree of longitude shrinks with cos(lat).
    dlat = distance_m / 111_320.0
    dlon = distance_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return await conn.fetch(
        """
        SELECT id, tracking_code, status, department, kelurahan, submitted_at, distance_m FROM (
            SELECT id, tracking_code, status, department, kelurahan, submitted_at,
                   2 * 6371000 * asin(sqrt(
                       power(sin(radians(lat - $3) / 2), 2)
                       + cos(radians($3)) * cos(radians(lat)) * power(sin(radians(lon - $4) / 2), 2)
                   )) AS distance_m
            FROM complaints
            WHERE category = $2 AND lat BETWEEN $3 - $5 AND $3 + $5 AND lon BETWEEN $4 - $6 AND $4 + $6
              AND id <> $1 AND submitted_at < $7
              AND status IN ('diterima', 'terverifikasi', 'dalam_proses', 'dibuka_kembali')
              AND ($8::text IS NULL OR kelurahan IS NULL OR kelurahan = $8)
        ) AS nearby
        WHERE distance_m <= $9
        ORDER BY distance_m, submitted_at
        LIMIT $10
        """,
        complaint_id,
        category,
        lat,
        lon,
        dlat,
        dlon,
        before,
        kelurahan,
        distance_m,
        limit,
    )


async def set_sla_pause(
    *, conn: asyncpg.Connection, complaint_id: UUID, paused_at: datetime | None, due_at: datetime | None
) -> int:
    return await conn.fetchval(
        "UPDATE complaints SET sla_paused_at = $2, sla_due_at = $3, version = version + 1, updated_at = now()"
        " WHERE id = $1 RETURNING version",
        complaint_id,
        paused_at,
        due_at,
    )


# -- failed logins --------------------------------------------------------------------------


async def reserve_login_attempt(
    *,
    conn: asyncpg.Connection,
    subjects: list[tuple[str, str]],
    now: datetime,
    window_s: int,
    max_per_username: int,
    max_per_ip: int,
) -> list[asyncpg.Record]:
    """Count an attempt against each subject before its password is checked, in one statement
    (the row lock of the upsert orders parallel attempts), so however many arrive at once, no
    more than the limit get a password check. A window that has closed starts again at 1; past
    the limit the count stays at limit + 1. Returns (scope, subject, failures, window_start).
    Run outside a transaction: other attempts must see the count at once."""
    closed_before = now - timedelta(seconds=window_s)
    return await conn.fetch(
        """
        INSERT INTO login_failures AS f (scope, subject, failures, window_start)
        SELECT scope, subject, 1, $3::timestamptz FROM unnest($1::text[], $2::text[]) AS wanted (scope, subject)
        ON CONFLICT (scope, subject) DO UPDATE SET
            failures = CASE WHEN f.window_start > $4
                            THEN least(f.failures + 1, CASE f.scope WHEN 'username' THEN $5::int ELSE $6::int END + 1)
                            ELSE 1 END,
            window_start = CASE WHEN f.window_start > $4 THEN f.window_start ELSE EXCLUDED.window_start END
        RETURNING f.scope, f.subject, f.failures, f.window_start
        """,
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
        now,
        closed_before,
        max_per_username,
        max_per_ip,
    )


async def release_login_attempt(*, conn: asyncpg.Connection, subjects: list[tuple[str, str]]) -> None:
    """Take back an attempt counted by `reserve_login_attempt` that was no failure (the
    password was right, or another limit refused the attempt before its check)."""
    await conn.execute(
        "UPDATE login_failures SET failures = failures - 1 WHERE failures > 0 AND (scope, subject) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[]))",
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
    )


async def forget_closed_login_windows(*, conn: asyncpg.Connection, now: datetime, window_s: int) -> None:
    closed_before = now - timedelta(seconds=window_s)
    # Closed windows are forgotten a little at a time, so the table stays small.
    await conn.execute(
        "DELETE FROM login_failures WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM login_failures WHERE window_start <= $1 LIMIT 100))",
        closed_before,
    )


async def clear_login_failures(*, conn: asyncpg.Connection, subjects: list[tuple[str, str]]) -> None:
    await conn.execute(
        "DELETE FROM login_failures WHERE (scope, subject) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[]))",
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
    )
