"""SQL for the events status consumes: submissions, placements at departments and receptions
(each one statement for a whole batch), hand-ons and supporting departments. Functions take
`*, conn` and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_shared.db import Rows
from sigap_shared.events import ComplaintSubmitted
from sigap_status.complaints.queries import TimelineEntry, timeline_columns, timeline_insert


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
                                    privacy, reporter_pseudonym, reporter_channels, lat, lon, publicly_visible,
                                    reporter_erased_at)
            -- A reporter erased before (or while) the submission arrives is not stored.
            SELECT c.id, c.tracking_code, c.kind, c.category, c.submitted_at, c.title, c.description, c.address,
                   c.privacy, CASE WHEN e.erased_at IS NULL THEN c.pseudonym END,
                   CASE WHEN e.erased_at IS NULL THEN coalesce(string_to_array(c.channels, ','), '{}') ELSE '{}' END,
                   c.lat, c.lon, c.privacy = 'publik' AND c.publicly_visible, e.erased_at
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[], $13::float8[],
                        $14::boolean[])
                 AS c(id, tracking_code, kind, category, submitted_at, title, description, address, privacy,
                      pseudonym, channels, lat, lon, publicly_visible)
            LEFT JOIN erased_reporters e ON e.complaint_id = c.id
            ORDER BY c.id
            ON CONFLICT (id) DO UPDATE SET
                lat = EXCLUDED.lat,
                lon = EXCLUDED.lon,
                reporter_pseudonym = EXCLUDED.reporter_pseudonym,
                reporter_channels = EXCLUDED.reporter_channels,
                reporter_erased_at = coalesce(complaints.reporter_erased_at, EXCLUDED.reporter_erased_at),
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
        + timeline_insert(15)
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
        *timeline_columns(entries),
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


_PLACEMENTS = Rows(Placement)

_PLACE_AT_DEPARTMENTS = f"""
WITH placed AS (
    INSERT INTO complaints (id, tracking_code, department, category, submitted_at, kelurahan)
    SELECT complaint_id, tracking_code, department, category, routed_at, kelurahan
    FROM {_PLACEMENTS.unnest}
    ORDER BY complaint_id
    ON CONFLICT (id) DO UPDATE SET
        department = EXCLUDED.department,
        category = COALESCE(EXCLUDED.category, complaints.category),
        kelurahan = COALESCE(EXCLUDED.kelurahan, complaints.kelurahan),
        version = complaints.version + 1,
        updated_at = now()
    RETURNING id, status, kind IS NOT NULL AS submitted
), timeline_entries AS (
    {timeline_insert(len(_PLACEMENTS.names) + 1)}
)
SELECT id, status, submitted FROM placed
"""


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
        _PLACE_AT_DEPARTMENTS, *_PLACEMENTS.params(placements), *timeline_columns(entries)
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


_RECEPTIONS = Rows(Reception)

_RECEIVE = f"""
WITH received AS (
    UPDATE complaints c SET
        status = incoming.status,
        received_at = incoming.received_at,
        sla_stage = incoming.sla_stage,
        sla_due_at = incoming.sla_due_at,
        sla_breached_at = NULL,
        version = c.version + 1,
        updated_at = now()
    FROM {_RECEPTIONS.unnest}
    WHERE c.id = incoming.complaint_id AND c.status IS NULL
    RETURNING 1
)
{timeline_insert(len(_RECEPTIONS.names) + 1)}
"""


async def receive(
    *, conn: asyncpg.Connection, receptions: Sequence[Reception], entries: Sequence[TimelineEntry]
) -> None:
    """Record the receptions (complaints placed and submitted, locked by this transaction)
    and their timeline entries in one statement."""
    await conn.execute(_RECEIVE, *_RECEPTIONS.params(receptions), *timeline_columns(entries))


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
