"""Recording what other services announced (department, status) for the tracking view, a
batch per statement (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_intake.privacy.repository import note_kept_at_erasure
from sigap_shared.db import Rows


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
    # uuid[][] cannot be unnested row by row: each row's after-photo ids travel as one text,
    # joined by commas.
    after_photo_ids: str = ""
    # Status's SP4N-LAPOR! auto-close of a finished complaint (reason `ditutup_otomatis`).
    lapor_closed: bool = False


_ANNOUNCEMENTS = Rows(Announcement)
# The complaint ids' array parameter.
_COMPLAINT_IDS = f"${_ANNOUNCEMENTS.names.index('complaint_id') + 1}::uuid[]"

# A run of announcements (distinct complaints) is one statement: the public timeline entries
# and, for each entry that is new and about a complaint of this intake's, the tracked complaint.
# The updates name their rows by id (the complaint ids' array) as well as through the join, so
# PostgreSQL looks them up by key instead of scanning the table to join it with a list it
# cannot size. A note written before the reporter's erasure and announced after it (the erasure
# overtook the event) is erased as the erasure would have (privacy/repository.py).
_ANNOUNCED = f"""
    WITH announced AS (
        SELECT * FROM {_ANNOUNCEMENTS.unnest}
    ), entry AS (
        INSERT INTO tracking_timeline (event_id, complaint_id, event_type, status, department, note, occurred_at)
        SELECT a.event_id, a.complaint_id, a.event_type, a.status, a.department,
               CASE WHEN c.personal_data_erased_at >= a.occurred_at
                         AND NOT {note_kept_at_erasure(note="a.public_note", status="a.status")}
                    THEN NULL ELSE a.public_note END,
               a.occurred_at
        FROM announced a JOIN complaints c ON c.id = a.complaint_id AND c.id = ANY({_COMPLAINT_IDS})
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
"""


async def record_routings(*, conn: asyncpg.Connection, announcements: Sequence[Announcement]) -> None:
    await conn.execute(
        _ANNOUNCED
        + f"""
        UPDATE complaints SET department = a.department
        FROM entry JOIN announced a USING (event_id)
        WHERE complaints.id = ANY({_COMPLAINT_IDS}) AND complaints.id = a.complaint_id
        """,
        *_ANNOUNCEMENTS.params(announcements),
    )


async def record_status_changes(*, conn: asyncpg.Connection, announcements: Sequence[Announcement]) -> None:
    # Events from different topics may arrive out of order: the latest change wins.
    await conn.execute(
        _ANNOUNCED
        + f"""
        UPDATE complaints SET status = a.status, department = a.department,
            -- A change that keeps the status (status closing a quiet `selesai` complaint for
            -- SP4N-LAPOR!, docs/lapor.md) does not restart the reopen window it counts from.
            status_changed_at = CASE WHEN complaints.status = a.status AND complaints.status_changed_at IS NOT NULL
                                     THEN complaints.status_changed_at ELSE a.occurred_at END,
            -- The auto-close ends the reporter's objection window; leaving `selesai` (a reopen)
            -- starts a new one.
            lapor_closed_at = CASE WHEN a.lapor_closed THEN a.occurred_at
                                   WHEN complaints.status = a.status THEN complaints.lapor_closed_at END,
            resolution_note = CASE WHEN complaints.personal_data_erased_at >= a.occurred_at
                                   THEN complaints.resolution_note
                                   ELSE coalesce(a.resolution_note, complaints.resolution_note) END,
            after_photo_ids = CASE WHEN a.after_photo_ids <> ''
                                   THEN string_to_array(a.after_photo_ids, ',')::uuid[]
                                   ELSE complaints.after_photo_ids END
        FROM entry JOIN announced a USING (event_id)
        WHERE complaints.id = ANY({_COMPLAINT_IDS}) AND complaints.id = a.complaint_id
          AND (complaints.status_changed_at IS NULL OR complaints.status_changed_at <= a.occurred_at)
        """,
        *_ANNOUNCEMENTS.params(announcements),
    )
