"""SQL for erasing a reporter's personal data at status (`*, conn`, never commits)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from sigap_status.personal_data.rules import FREE_TEXT_KEYS, KEPT_CODES, without_free_text


def _sql_list(values: tuple[str, ...]) -> str:
    assert all(value.replace("_", "").isalnum() for value in values)  # codes, never quoted input
    return ", ".join(f"'{value}'" for value in values)


def detail_without_free_text(detail: str) -> str:
    """SQL: the jsonb timeline `detail` with its free texts (rules.FREE_TEXT_KEYS) set to null, as
    the reporter's erasure leaves it; the keys stay (the entry still says a note or a reason was
    given), and so does every other key (kind, status, department, photos, times) and a code."""
    return (
        f"({detail} || coalesce((SELECT jsonb_object_agg(free.key, NULL)"
        f" FROM jsonb_each_text({detail}) AS free(key, value)"
        f" WHERE free.key IN ({_sql_list(FREE_TEXT_KEYS)}) AND free.value IS NOT NULL"
        f" AND free.value NOT IN ({_sql_list(KEPT_CODES)})), '{{}}'::jsonb))"
    )


def erased_before(*, complaint_id: str, occurred_at: str) -> str:
    """SQL: whether the complaint's reporter was erased at or after `occurred_at`: a text written
    then was there to erase (an event the erasure overtook); one written after it is kept."""
    return (
        f"EXISTS (SELECT 1 FROM erased_reporters erased WHERE erased.complaint_id = {complaint_id}"
        f" AND erased.erased_at >= {occurred_at})"
    )


async def erased_at(*, conn: asyncpg.Connection, complaint_id: UUID) -> datetime | None:
    """When the complaint's reporter was erased, if they were."""
    return await conn.fetchval("SELECT erased_at FROM erased_reporters WHERE complaint_id = $1", complaint_id)


async def erase_reporter_of_complaint(
    *, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime
) -> asyncpg.Record | None:
    """Drop the pseudonym and channels from the complaint, and the free texts kept on it (the
    resolution note, the LAPOR! postponement's reason); None when status does not know the
    complaint yet. `had_reporter` says whether a pseudonym or channels were still there."""
    return await conn.fetchrow(
        "UPDATE complaints c SET reporter_pseudonym = NULL, reporter_channels = '{}',"
        # Written after an earlier erasure (a repeat keeps its first time), a text stays.
        " resolution_note = CASE WHEN c.resolved_at > $2 THEN c.resolution_note END,"
        " lapor_postpone_reason = CASE WHEN c.lapor_postponed_at > $2 THEN c.lapor_postpone_reason END,"
        " reporter_erased_at = coalesce(c.reporter_erased_at, $2)"
        " FROM (SELECT id, reporter_pseudonym IS NOT NULL OR cardinality(reporter_channels) > 0 AS had_reporter"
        "       FROM complaints WHERE id = $1 FOR UPDATE) AS before"
        " WHERE c.id = before.id RETURNING before.had_reporter, c.reporter_erased_at",
        complaint_id,
        erased_at,
    )


async def erase_timeline_texts(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """Blank the free texts of the complaint's timeline written up to the erasure; the entries
    stay (kind, time, actor), so the timeline and the statistics remain. Returns how many changed."""
    result = await conn.execute(
        f"UPDATE timeline SET detail = {detail_without_free_text('detail')}"
        " WHERE complaint_id = $1 AND occurred_at <= $2"
        f" AND detail IS DISTINCT FROM {detail_without_free_text('detail')}",
        complaint_id,
        erased_at,
    )
    return int(result.split()[-1])


async def erase_outbox_texts(*, conn: asyncpg.Connection, complaint_id: UUID) -> int:
    """Rewrite the complaint's events in the outbox, sent or waiting (all written before the
    erasure), without their free texts: a waiting one then leaves without them. Returns how many
    rows changed. Rows are keyed by complaint id; a payload is the event's JSON data."""
    rows = await conn.fetch("SELECT id, payload FROM outbox WHERE key = $1 FOR UPDATE", str(complaint_id).encode())
    changed: list[tuple[int, bytes]] = []
    for row in rows:
        data = orjson.loads(row["payload"])
        if isinstance(data, dict) and (blanked := without_free_text(data)) != data:
            changed.append((row["id"], orjson.dumps(blanked)))
    if changed:
        await conn.executemany("UPDATE outbox SET payload = $2 WHERE id = $1", changed)
    return len(changed)
