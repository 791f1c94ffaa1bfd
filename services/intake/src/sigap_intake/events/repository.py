"""Recording what other services announced (department, status) for the tracking view, a
batch per statement (`*, conn`, never commits)."""

from __future__ import annotations


from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg



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
