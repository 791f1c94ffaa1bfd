"""What erasing a reporter (UU 27/2022) does in every service: the service's memory of erased
reporters, its own `erased_reporters` table (complaint_id primary key, erased_at), written when
intake asks it to erase a complaint's reporter and read by its consumers so an event that
arrives after the erasure stores and announces no reporter (SQL: `*, conn`, never commits);
and what an erasure leaves of an event's JSON kept in a database (no reporter, no free text)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from sigap_shared.events import AUTO_CLOSE_REASON, REJECTION_REASONS


async def remember_erasure(*, conn: asyncpg.Connection, complaint_id: UUID, at: datetime) -> datetime:
    """Record that the complaint's reporter is erased (once); returns when that first happened."""
    first = await conn.fetchval(
        "WITH new AS (INSERT INTO erased_reporters (complaint_id, erased_at) VALUES ($1, $2)"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING erased_at)"
        " SELECT erased_at FROM new UNION ALL SELECT erased_at FROM erased_reporters WHERE complaint_id = $1"
        " LIMIT 1",
        complaint_id,
        at,
    )
    if first is None:
        # Another erasure committed the row after this statement's snapshot was taken (two
        # retention runs overlapping); a new statement sees it.
        first = await conn.fetchval("SELECT erased_at FROM erased_reporters WHERE complaint_id = $1", complaint_id)
    return first


async def is_erased(*, conn: asyncpg.Connection, complaint_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM erased_reporters WHERE complaint_id = $1)", complaint_id))


async def erased_among(*, conn: asyncpg.Connection, complaint_ids: Collection[UUID]) -> set[UUID]:
    """Of these complaints, those whose reporter is erased."""
    rows = await conn.fetch(
        "SELECT complaint_id FROM erased_reporters WHERE complaint_id = ANY($1::uuid[])", list(complaint_ids)
    )
    return {row["complaint_id"] for row in rows}


def _event_data(value: bytes) -> dict[str, Any] | None:
    """An event's JSON data (`encode`'s value) as a dict, or None when it is not one."""
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def payload_without_reporter(value: bytes) -> bytes | None:
    """An event's JSON data (`encode`'s value) with its `reporter` (pseudonym and channels)
    set to null, or None when it names no reporter (or is not an event's JSON at all): what an
    erasure of the reporter's personal data leaves of an event kept in a database."""
    data = _event_data(value)
    if data is None or data.get("reporter") is None:
        return None
    return orjson.dumps(data | {"reporter": None})


# An event's fields that hold free text, which may name or quote the reporter: what the reporter
# wrote (added information, a rating's comment, a reopen's reason) and what staff wrote to them
# or about the case (a message's body, a status change's note, reason or resolution note, a
# transfer's or joint handling's reason). A reporter's erasure empties them (UU 27/2022).
FREE_TEXT_FIELDS = frozenset({"text", "comment", "reason", "note", "resolution_note", "body"})
# A reason that is a code from a fixed list names no one and stays.
KEPT_CODES = frozenset({*REJECTION_REASONS, AUTO_CLOSE_REASON})


def without_free_text(
    data: dict[str, Any],
    *,
    fields: frozenset[str] = FREE_TEXT_FIELDS,
    emptied_to: str | None = "",
    required: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """An event's data (or anything keyed like it) with its free texts emptied (to `emptied_to`;
    "" by default, which still fits every event's schema: a transfer's reason is required; the
    `required` keys always to ""), and codes kept."""
    return data | {
        key: "" if key in required else emptied_to
        for key, value in data.items()
        if key in fields and isinstance(value, str) and value and value not in KEPT_CODES
    }


def payload_without_free_text(value: bytes) -> bytes | None:
    """An event's JSON data (`encode`'s value) with its free texts emptied, or None when it has
    none left to empty (or is not an event's JSON at all)."""
    data = _event_data(value)
    if data is None or (blanked := without_free_text(data)) == data:
        return None
    return orjson.dumps(blanked)
