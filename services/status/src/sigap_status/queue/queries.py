"""The department queue: filters, sort orders and keyset cursors, and the SQL they become.

Every page is one index walk in sort order from the cursor's position (never OFFSET). A
department sees what it leads and what it supports; the two sets are read separately (each
along its own index) and merged, so neither needs a sort over the whole department."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import asyncpg
import orjson

Sort = Literal["oldest", "newest", "sla_deadline"]
SlaState = Literal["breached", "due_soon", "on_track", "paused", "none"]
DUE_SOON = timedelta(days=1)

_SORT_KEY: dict[str, tuple[str, str]] = {
    # sort -> (key column, direction)
    "oldest": ("submitted_at", "ASC"),
    "newest": ("submitted_at", "DESC"),
    "sla_deadline": ("sla_due_at", "ASC"),
}

QUEUE_COLUMNS = (
    "id, tracking_code, kind, category, department, supporting_departments, status, version, kelurahan,"
    " title, assigned_officer, submitted_at, updated_at, sla_stage, sla_due_at, sla_breached_at, sla_paused_at,"
    # what the SP4N-LAPOR! stage is computed from (docs/lapor.md)
    " received_at, verified_at, resolved_at, rejection_reason, lapor_postponed_at, lapor_archived_at, lapor_closed_at"
)


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class QueueFilter:
    department: str | None = None  # lead or supporting; None = every department (city-wide roles only)
    statuses: tuple[str, ...] = ()
    category: str | None = None
    kelurahan: str | None = None
    sla_state: SlaState | None = None
    assigned_officer: str | None = None
    text: str | None = None
    sort: Sort = "oldest"
    limit: int = 50
    after: tuple[datetime, UUID] | None = None


def encode_cursor(sort: str, key: datetime, complaint_id: UUID) -> str:
    raw = orjson.dumps({"s": sort, "k": key.isoformat(), "i": str(complaint_id)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        key, complaint_id = datetime.fromisoformat(data["k"]), UUID(data["i"])
        cursor_sort = data["s"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadCursor("not a cursor this API issued") from exc
    if cursor_sort != sort:
        raise BadCursor(f"cursor belongs to sort={cursor_sort}, not sort={sort}")
    if key.tzinfo is None:
        raise BadCursor("cursor has no time zone")
    return key, complaint_id


def page_of(filter_: QueueFilter, rows: list[Any]) -> tuple[list[Any], str | None]:
    """The page's rows and the cursor to the next page. The query reads one row more than a
    page, so the last page says so instead of leading to an empty one."""
    if len(rows) <= filter_.limit:
        return rows, None
    page = rows[: filter_.limit]
    column, _ = _SORT_KEY[filter_.sort]
    return page, encode_cursor(filter_.sort, page[-1][column], page[-1]["id"])


def build_query(filter_: QueueFilter, *, now: datetime) -> tuple[str, list[Any]]:
    """SQL and parameters for one page of the queue."""
    column, direction = _SORT_KEY[filter_.sort]
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    # A complaint enters the queues when it is received (see events/handlers.py: submission and
    # routing both known); before that it is nobody's.
    conditions: list[str] = [f"{column} IS NOT NULL", "status IS NOT NULL"]
    if filter_.category:
        conditions.append(f"category = {param(filter_.category)}")
    if filter_.kelurahan:
        conditions.append(f"kelurahan = {param(filter_.kelurahan)}")
    if filter_.assigned_officer:
        conditions.append(f"assigned_officer = {param(filter_.assigned_officer)}")
    if filter_.sla_state == "breached":
        conditions.append(f"sla_due_at <= {param(now)} AND sla_paused_at IS NULL")
    elif filter_.sla_state == "due_soon":
        conditions.append(f"sla_due_at > {param(now)} AND sla_due_at <= {param(now + DUE_SOON)} AND sla_paused_at IS NULL")
    elif filter_.sla_state == "on_track":
        conditions.append(f"sla_due_at > {param(now + DUE_SOON)} AND sla_paused_at IS NULL")
    elif filter_.sla_state == "paused":
        conditions.append("sla_paused_at IS NOT NULL")
    elif filter_.sla_state == "none":
        conditions.append("sla_due_at IS NULL")
    if filter_.text:
        conditions.append(f"search @@ websearch_to_tsquery('simple', {param(filter_.text)})")
    if filter_.after is not None:
        comparison = ">" if direction == "ASC" else "<"
        key, complaint_id = filter_.after
        conditions.append(f"({column}, id) {comparison} ({param(key)}, {param(complaint_id)})")
    order = f"ORDER BY {column} {direction}, id {direction}"
    limit = param(filter_.limit + 1)
    common = " AND ".join(conditions)
    # Lead department: one ordered index walk per status, merged (an ordered read of several
    # statuses at once would have to sort every matching row of the department).
    # Supporting department: joint handling is rare, so its few rows are read through the
    # supporting-departments index alone. OFFSET 0 keeps the planner from combining that
    # index with the search or status indexes, which costs far more than it saves.
    status_conditions = [f"status = {param(status)}" for status in filter_.statuses] or ["TRUE"]
    if filter_.department is None:
        branches = [
            f"(SELECT {QUEUE_COLUMNS} FROM complaints WHERE {status} AND {common} {order} LIMIT {limit})"
            for status in status_conditions
        ]
    else:
        department = param(filter_.department)
        branches = [
            f"(SELECT {QUEUE_COLUMNS} FROM complaints WHERE department = {department} AND {status} AND {common}"
            f" {order} LIMIT {limit})"
            for status in status_conditions
        ]
        any_status = f"status = ANY({param(list(filter_.statuses))}::text[])" if filter_.statuses else "TRUE"
        branches.append(
            f"(SELECT {QUEUE_COLUMNS} FROM (SELECT * FROM complaints"
            f" WHERE supporting_departments @> ARRAY[{department}]::text[] OFFSET 0) AS supported"
            f" WHERE department IS DISTINCT FROM {department} AND {any_status} AND {common} {order} LIMIT {limit})"
        )
    if len(branches) == 1:
        return branches[0][1:-1], params
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) AS queue {order} LIMIT {limit}", params


async def list_queue(*, conn: asyncpg.Connection, queue_filter: QueueFilter, now: datetime) -> list[asyncpg.Record]:
    sql, params = build_query(queue_filter, now=now)
    # asyncpg reuses prepared statements, and after five runs PostgreSQL may switch to a
    # generic plan that cannot tell a small department from a big one (seconds instead of
    # milliseconds at a million rows). The queue is always planned for its actual values.
    # SET LOCAL: the setting ends with the transaction, as pooled connections keep no state.
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return await conn.fetch(sql, *params)
