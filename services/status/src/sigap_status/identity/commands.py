"""The city admin looks up who a reporter is: asked of intake, which audits the look; the
department sees in the internal timeline that it happened."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_status.complaints.queries import TimelineEntry, add_timeline_entries
from sigap_status.complaints.visibility import complaint_view, load_visible
from sigap_status.errors import InvalidInput, StatusError
from sigap_status.intake.client import IntakeClient, IntakeRefused, IntakeUnavailable, RevealedIdentity
from sigap_status.lifecycle.events import IDENTITY_VIEWED
from sigap_status.lifecycle.rules import CITY_ADMIN_SEES_IDENTITY, NotPermitted, check_may_reveal_identity

log = structlog.get_logger(__name__)


def _refusal_error(refusal: IntakeRefused) -> StatusError:
    if refusal.status == 404:
        return StatusError(
            "identity-not-found",
            Text("Layanan intake tidak mengenal pengaduan ini.", "The intake service does not know this complaint."),
        )
    if refusal.status == 403:
        return NotPermitted(CITY_ADMIN_SEES_IDENTITY)
    return InvalidInput(
        "reason",
        Text("alasan tidak valid", "invalid reason"),
        location="query",
        detail=Text("Alasan wajib diisi (5-500 karakter).", "A reason is required (5-500 characters)."),
    )


async def reveal_reporter_identity(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    reason: str,
    intake: IntakeClient | None,
    now: datetime | None = None,
) -> RevealedIdentity:
    """The city admin looks up who a reporter is. Intake audits the look in its own access
    log; the department sees that it happened in the internal timeline (who, when, why; never
    the identity itself)."""
    now = now or datetime.now(UTC)
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    check_may_reveal_identity(staff, complaint_view(row))
    if intake is None:
        raise IntakeUnavailable("SIGAP_INTAKE_INTERNAL_URL is not set")
    try:
        identity = await intake.reveal_identity(
            complaint_id=complaint_id, actor=staff.username, actor_role=staff.role, reason=reason
        )
    except IntakeRefused as refusal:
        raise _refusal_error(refusal) from None
    async with conn.transaction():
        detail = {"reason": reason, "audit_id": identity.audit_id}
        entry = TimelineEntry.by_staff(staff, complaint_id=complaint_id, event_type=IDENTITY_VIEWED, at=now, detail=detail)
        await add_timeline_entries(conn=conn, entries=[entry])
    log.info(
        "reporter_identity_viewed", complaint_id=str(complaint_id), actor=staff.username, audit_id=str(identity.audit_id)
    )
    return identity
