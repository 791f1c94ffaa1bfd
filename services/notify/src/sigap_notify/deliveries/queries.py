"""Reading the delivery log: a complaint's deliveries (for the staff who may see the
complaint) and the webhook deliveries parked as dead letters."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from sigap_notify.deliveries import repository
from sigap_notify.errors import NotifyError
from sigap_shared.auth import StaffPrincipal, may_see_complaint
from sigap_shared.errors import Text


async def complaint_deliveries(
    *, conn: asyncpg.Connection, complaint_id: UUID, staff: StaffPrincipal
) -> list[asyncpg.Record]:
    """Every delivery of the complaint; a complaint the staff member may not see is not found."""
    departments = await repository.complaint_audience(conn=conn, complaint_id=complaint_id)
    if not may_see_complaint(staff, departments=departments):
        raise NotifyError(
            "complaint-not-found",
            Text(
                id=f"Tidak ada pengaduan {complaint_id} yang ditangani dinas Anda.",
                en=f"No complaint {complaint_id} handled by your department.",
            ),
        )
    return await repository.list_for_complaint(conn=conn, complaint_id=complaint_id)


async def dead_letters(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    return await repository.list_dead_letters(conn=conn, department=department)
