"""Reading a complaint's stored routing, for staff allowed to see the complaint."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from sigap_routing import repository
from sigap_shared.auth import StaffPrincipal, may_see_complaint
from sigap_shared.errors import DomainError, Text


async def visible_decision(*, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID) -> asyncpg.Record:
    """The complaint's decision row if `staff` may see the complaint (its lead and supporting
    departments as routing knows them); otherwise the same refusal as for an unknown complaint."""
    row = await repository.get_decision(conn=conn, complaint_id=complaint_id)
    if row is None or not may_see_complaint(
        staff, departments=(row["lead_department"] or row["department"], *row["supporting_departments"])
    ):
        raise DomainError(
            "decision-not-found",
            Text(
                f"Belum ada keputusan routing untuk pengaduan {complaint_id}.",
                f"No routing decision exists for complaint {complaint_id}.",
            ),
        )
    return row


async def visible_history(*, conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID) -> list[asyncpg.Record]:
    await visible_decision(conn=conn, staff=staff, complaint_id=complaint_id)
    return await repository.history(conn=conn, complaint_id=complaint_id)
