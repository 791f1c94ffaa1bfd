"""Who may see which complaint, applied to the rows features read: a complaint a staff member
may not see answers exactly as an unknown one, and department staff see only their own
department's queue and figures."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_shared.events import ReporterRef
from sigap_status.complaints import queries
from sigap_status.errors import ComplaintNotFound, Forbidden
from sigap_status.lifecycle.rules import ComplaintView, can_see


def complaint_view(row: Any) -> ComplaintView:
    """What the rules need to know of a complaint row."""
    pseudonym = row["reporter_pseudonym"] if "reporter_pseudonym" in row.keys() else None
    return ComplaintView(
        id=row["id"],
        tracking_code=row["tracking_code"],
        status=row["status"],
        department=row["department"],
        version=row["version"],
        supporting_departments=tuple(row["supporting_departments"] or ()),
        assigned_officer=row["assigned_officer"],
        reporter=ReporterRef(pseudonym=pseudonym, channels=tuple(row["reporter_channels"] or ()))
        if pseudonym
        else None,
    )


async def load_visible(
    *, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID, for_update: bool = False
) -> asyncpg.Record:
    """The complaint, if `staff` may see it; else `ComplaintNotFound` (never a 403 that would
    tell another department the complaint exists)."""
    fetch = queries.get_complaint_for_update if for_update else queries.get_complaint_full
    row = await fetch(conn=conn, complaint_id=complaint_id)
    if row is None or not can_see(staff, complaint_view(row)):
        raise ComplaintNotFound(complaint_id)
    return row


def visible_department(staff: StaffPrincipal, department: str | None) -> str | None:
    """The department whose queue or figures the caller asked for: any (or all, with None)
    for city-wide roles, only their own for department staff."""
    if staff.is_city_wide:
        return department
    if department is not None and department != staff.department:
        raise Forbidden(
            Text(
                "Petugas dinas hanya dapat melihat antrean dan angka dinasnya sendiri.",
                "Department staff can only see their own department's queue and figures.",
            )
        )
    return staff.department
