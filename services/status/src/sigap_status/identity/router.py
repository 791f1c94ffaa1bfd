"""`GET /v1/staff/complaints/{id}/reporter-identity`: who the reporter is, for the city admin
only; every look is audited at intake and shown in the internal timeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from sigap_shared.errors import Text
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import trim_invisible, visible_length
from sigap_status.auth.dependencies import staff_in
from sigap_status.context import Intake
from sigap_status.errors import InvalidInput
from sigap_status.identity import commands
from sigap_status.intake.client import RevealedIdentity

router = APIRouter(prefix="/v1", tags=["staff"])

# Any other role is refused (403) before the complaint is looked up.
CityAdmin = staff_in("city_admin")


@router.get(
    "/staff/complaints/{complaint_id}/reporter-identity",
    summary="Who the reporter is (city admin only; every look is audited at intake and shown in the timeline)",
)
async def get_reporter_identity(
    complaint_id: UUID,
    staff: CityAdmin,
    conn: Conn,
    intake: Intake,
    response: Response,
    reason: Annotated[str, Query(min_length=5, max_length=500, description="Why the identity is needed (audited)")],
) -> RevealedIdentity:
    reason = trim_invisible(reason)
    if visible_length(reason) < 5:
        raise InvalidInput(
            "reason",
            Text("alasan terlalu pendek", "reason too short"),
            location="query",
            detail=Text(
                "Alasan wajib diisi: 5-500 karakter yang terlihat.", "A reason is required: 5-500 visible characters."
            ),
        )
    identity = await commands.reveal_reporter_identity(
        conn=conn, staff=staff, complaint_id=complaint_id, reason=reason, intake=intake
    )
    response.headers["Cache-Control"] = "no-store"
    return identity
