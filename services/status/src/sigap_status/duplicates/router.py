"""`GET /v1/staff/complaints/{id}/duplicate-candidates`: earlier open complaints of the same
category nearby, that the caller may see and merge into."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import load_visible
from sigap_status.context import Context
from sigap_status.duplicates import queries

router = APIRouter(prefix="/v1", tags=["staff"])


class DuplicateCandidate(BaseModel):
    id: UUID
    tracking_code: str
    status: str | None
    department: str | None
    kelurahan: str | None
    submitted_at: datetime | None
    distance_m: float


@router.get(
    "/staff/complaints/{complaint_id}/duplicate-candidates",
    tags=["staff"],
    summary="Earlier open complaints of the same category nearby: candidates to merge this one into",
)
async def get_duplicate_candidates(
    complaint_id: UUID, staff: Staff, conn: Conn, context: Context
) -> list[DuplicateCandidate]:
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    if row["lat"] is None or row["category"] is None or row["submitted_at"] is None:
        return []
    candidates = await queries.nearby_open_complaints(
        conn=conn,
        complaint_id=complaint_id,
        category=row["category"],
        lat=row["lat"],
        lon=row["lon"],
        kelurahan=row["kelurahan"],
        before=row["submitted_at"],
        distance_m=context.settings.duplicate_distance_m,
    )
    # Only what this staff member may see is suggested (no existence leak across departments).
    # Merging is the admins' desk; field officers get no suggestions.
    visible = [
        candidate
        for candidate in candidates
        if staff.is_city_wide or (staff.role == "dept_admin" and candidate["department"] == staff.department)
    ]
    return [
        DuplicateCandidate(**{key: candidate[key] for key in DuplicateCandidate.model_fields}) for candidate in visible
    ]
