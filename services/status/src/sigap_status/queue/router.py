"""`GET /v1/staff/queue` and `GET /v1/staff/queue.csv`: the department queue, filtered and
paged by keyset cursor, narrowed to what the caller may see; the CSV is the same filtered queue."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from sigap_shared.errors import Text
from sigap_shared.events import ComplaintStatus
from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import visible_department
from sigap_status.context import Lapor, Policy
from sigap_status.errors import InvalidInput
from sigap_status.escalation.queries import steps_climbed
from sigap_status.lapor.rules import stage_of
from sigap_status.queue import queries
from sigap_status.queue.queries import BadCursor, QueueFilter, SlaState, Sort, decode_cursor, page_of
from sigap_status.sla.rules import sla_state, working_days_left

router = APIRouter(prefix="/v1", tags=["staff"])


class QueueItem(BaseModel):
    id: UUID
    tracking_code: str
    kind: str | None
    category: str | None
    title: str | None
    department: str | None
    supporting_departments: list[str]
    status: str | None
    version: int
    kelurahan: str | None
    assigned_officer: str | None
    submitted_at: datetime | None
    updated_at: datetime
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_state: str
    # Working days the running deadline leaves (0: due today; negative: days overdue).
    sla_working_days_left: int | None = None
    # The SP4N-LAPOR! stage beside the status (docs/lapor.md).
    lapor_stage: str | None = None
    # The escalation ladder steps the running deadline's breach climbed, lowest first.
    escalation_steps: list[str] = []


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


async def queue_filter(
    staff: Staff,
    status: Annotated[list[ComplaintStatus] | None, Query(max_length=6)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    kelurahan: Annotated[str | None, Query(max_length=64)] = None,
    sla_state_filter: Annotated[SlaState | None, Query(alias="sla_state")] = None,
    officer: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    sort: Sort = "oldest",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> QueueFilter:
    """The queue's query parameters, narrowed to what the caller may see."""
    department = visible_department(staff, department)
    if staff.role == "field_officer":
        officer = staff.username
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, sort=sort)
        except BadCursor as exc:
            raise InvalidInput(
                "cursor",
                Text("cursor tidak valid", "invalid cursor"),
                location="query",
                detail=Text("Cursor halaman tidak valid; mulai lagi dari halaman pertama.", f"Invalid cursor: {exc}."),
            ) from None
    return QueueFilter(
        department=department,
        statuses=tuple(status or ()),
        category=category,
        kelurahan=kelurahan,
        sla_state=sla_state_filter,
        assigned_officer=officer,
        text=(q or "").strip() or None,
        sort=sort,
        limit=limit,
        after=after,
    )


QueueQuery = Annotated[QueueFilter, Depends(queue_filter)]


@router.get("/staff/queue", summary="The department queue")
async def get_queue(queue_filter: QueueQuery, conn: Conn, policy: Policy, lapor: Lapor) -> QueuePage:
    now = datetime.now(UTC)
    rows, cursor_to_next = page_of(
        queue_filter, await queries.list_queue(conn=conn, queue_filter=queue_filter, now=now)
    )
    escalated = await steps_climbed(
        conn=conn, complaint_ids=[row["id"] for row in rows if row["sla_breached_at"] is not None]
    )
    return QueuePage(
        items=[
            QueueItem(
                **{
                    key: row[key]
                    for key in QueueItem.model_fields
                    if key
                    not in ("sla_state", "supporting_departments", "sla_working_days_left", "lapor_stage", "escalation_steps")
                },
                escalation_steps=escalated.get(row["id"], []),
                lapor_stage=stage_of(row, lapor, now=now).stage,
                supporting_departments=list(row["supporting_departments"] or ()),
                sla_state=sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None),
                sla_working_days_left=None
                if row["sla_paused_at"] is not None
                else working_days_left(policy.calendar, due_at=row["sla_due_at"], now=now),
            )
            for row in rows
        ],
        next_cursor=cursor_to_next,
    )


CSV_MAX_ROWS = 10_000
CSV_COLUMNS = (
    "tracking_code",
    "status",
    "category",
    "department",
    "kelurahan",
    "title",
    "assigned_officer",
    "submitted_at",
    "sla_stage",
    "sla_due_at",
    "sla_state",
)


@router.get(
    "/staff/queue.csv",
    summary=f"The filtered queue as CSV (first {CSV_MAX_ROWS:,} rows; same parameters as the queue)",
    response_class=Response,
)
async def get_queue_csv(queue_filter: QueueQuery, conn: Conn) -> Response:
    now = datetime.now(UTC)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    page_filter = replace(queue_filter, limit=500)
    written = 0
    while written < CSV_MAX_ROWS:
        rows, cursor_to_next = page_of(
            page_filter, await queries.list_queue(conn=conn, queue_filter=page_filter, now=now)
        )
        for row in rows[: CSV_MAX_ROWS - written]:
            values = {key: row[key] for key in CSV_COLUMNS if key != "sla_state"}
            values["sla_state"] = sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None)
            writer.writerow(
                [
                    _csv_safe(values[key].isoformat() if isinstance(values[key], datetime) else values[key])
                    for key in CSV_COLUMNS
                ]
            )
        written += len(rows)
        if cursor_to_next is None:
            break
        page_filter = replace(page_filter, after=decode_cursor(cursor_to_next, sort=page_filter.sort))
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="antrean-pengaduan.csv"'},
    )


def _csv_safe(value: Any) -> Any:
    # Spreadsheet formula injection: citizen-written text must never start a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
