"""SQL for the officer's tasks. Functions take `*, conn` and never commit."""

from __future__ import annotations

import asyncpg

from sigap_status.tasks.rules import OPEN_STATUSES

TASK_COLUMNS = (
    "id, tracking_code, kind, category, title, description, address, kelurahan, lat, lon, department,"
    " supporting_departments, status, version, assigned_officer, submitted_at, updated_at, resolved_at,"
    " resolution_note, after_photo_ids, sla_stage, sla_due_at, sla_paused_at"
)

# More open tasks than this for one officer is an assignment problem, not a list to scroll;
# the list is ordered after reading, so the cap keeps that read bounded.
MAX_OPEN_TASKS = 500


async def open_tasks(*, conn: asyncpg.Connection, officer: str, department: str) -> list[asyncpg.Record]:
    """The officer's open complaints in their department (one walk of the department-officer
    index), oldest first."""
    return await conn.fetch(
        f"SELECT {TASK_COLUMNS} FROM complaints"
        " WHERE department = $1 AND assigned_officer = $2 AND status = ANY($3::text[])"
        " ORDER BY submitted_at, id LIMIT $4",
        department,
        officer,
        list(OPEN_STATUSES),
        MAX_OPEN_TASKS,
    )

