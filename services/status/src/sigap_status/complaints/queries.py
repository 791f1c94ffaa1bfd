"""The complaint record every feature reads, and its timeline: SQL only. Functions take
`*, conn` and never commit: the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from sigap_shared.auth import StaffPrincipal
from sigap_shared.events import Envelope
from sigap_status.personal_data.repository import detail_without_free_text, erased_before


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    complaint_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    actor: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, envelope: Envelope, *, at: datetime, actor: str, detail: dict[str, Any]) -> "TimelineEntry":
        """The entry an event leaves in its complaint's timeline (same id, same type)."""
        return cls(
            complaint_id=envelope.data.complaint_id,  # type: ignore[union-attr]
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=at,
            actor=actor,
            detail=detail,
        )


    @classmethod
    def by_staff(
        cls,
        staff: StaffPrincipal,
        *,
        complaint_id: UUID,
        event_type: str,
        at: datetime,
        detail: dict[str, Any],
        event_id: UUID | None = None,
    ) -> "TimelineEntry":
        """An entry a staff member leaves (a note, a pause, a merge), naming their role."""
        return cls(
            complaint_id=complaint_id,
            event_id=event_id or uuid.uuid4(),
            event_type=event_type,
            occurred_at=at,
            actor=staff.username,
            detail={**detail, "actor_role": staff.role},
        )


def timeline_columns(entries: Sequence[TimelineEntry]) -> list[list[Any]]:
    return [
        [entry.complaint_id for entry in entries],
        [entry.event_id for entry in entries],
        [entry.event_type for entry in entries],
        [entry.occurred_at for entry in entries],
        [entry.actor for entry in entries],
        [orjson.dumps(entry.detail, default=str).decode() for entry in entries],
    ]


def timeline_insert(first: int) -> str:
    """The entries' insert. An entry written before its reporter's erasure but stored after it
    (an event the erasure overtook) loses its free texts, as the erasure would have left it."""
    erased = erased_before(complaint_id="entry.complaint_id", occurred_at="entry.occurred_at")
    return (
        "INSERT INTO timeline (complaint_id, event_id, event_type, occurred_at, actor, detail)"
        " SELECT entry.complaint_id, entry.event_id, entry.event_type, entry.occurred_at, entry.actor,"
        f" CASE WHEN {erased} THEN {detail_without_free_text('entry.detail')} ELSE entry.detail END"
        f" FROM unnest(${first}::uuid[], ${first + 1}::uuid[], ${first + 2}::text[],"
        f" ${first + 3}::timestamptz[], ${first + 4}::text[], ${first + 5}::jsonb[])"
        " AS entry(complaint_id, event_id, event_type, occurred_at, actor, detail)"
        " ON CONFLICT (event_id) DO NOTHING"
    )


async def add_timeline_entries(*, conn: asyncpg.Connection, entries: Sequence[TimelineEntry]) -> None:
    await conn.execute(timeline_insert(1), *timeline_columns(entries))


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
    " duplicate_of, sla_stage, sla_due_at, sla_breached_at, reporter_pseudonym, reporter_channels, lat, lon, sla_paused_at,"
    " lapor_postponed_at, lapor_postpone_reason, lapor_archived_at, lapor_closed_at"
)


async def get_complaint_for_update(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1 FOR UPDATE", complaint_id)


async def get_complaint_full(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1", complaint_id)
