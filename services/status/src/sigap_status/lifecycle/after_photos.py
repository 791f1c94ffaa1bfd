"""Finishing a complaint needs live after-photos: they are claimed at intake (which keeps the
photos and judges each one) before the transition, and intake's refusals are told in this
API's terms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_status.complaints.visibility import complaint_view, load_visible
from sigap_status.errors import StatusError
from sigap_status.intake.client import IntakeClient, IntakeRefused
from sigap_status.lifecycle import rules

log = structlog.get_logger(__name__)


async def claim_live_after_photos(
    *,
    conn: asyncpg.Connection,
    staff: StaffPrincipal,
    complaint_id: UUID,
    request: rules.TransitionRequest,
    intake: IntakeClient | None,
    now: datetime,
) -> dict[str, str]:
    """Check the finishing request, then claim its after-photos at intake; at least one must
    be verified as taken live. Returns each photo's verdict (empty when the check is skipped)."""
    row = await load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    view = complaint_view(row)
    rules.check_may_act(staff, view)
    rules.decide_transition(view, request, actor_kind=staff.role, actor_name=staff.username, now=now)
    if intake is None:
        # Development and tests without SIGAP_INTAKE_INTERNAL_URL (production refuses to start).
        log.warning("after_photo_check_skipped", complaint_id=str(complaint_id), reason="intake_not_configured")
        return {}
    try:
        verdicts = await intake.claim_after_photos(complaint_id=complaint_id, photo_ids=list(request.after_photo_ids))
    except IntakeRefused as refusal:
        raise refusal_error(refusal, request.after_photo_ids) from None
    rules.check_after_photos_live([(verdict.photo_id, verdict.verdict, verdict.reasons) for verdict in verdicts])
    return {str(verdict.photo_id): verdict.verdict for verdict in verdicts}


def refusal_error(refusal: IntakeRefused, photo_ids: Sequence[UUID]) -> StatusError:
    """Intake's 404 (unknown photo) and 409 (photo already used elsewhere) in this API's terms."""
    if refusal.status == 404 and "complaint_id" in refusal.fields:
        # Status knows the complaint but intake does not (yet): nothing the client can fix by
        # changing its photos, so a conflict rather than a validation error.
        return StatusError(
            "complaint-unknown-at-intake",
            Text(
                "Layanan intake belum mengenal pengaduan ini, jadi foto sesudah penanganan belum bisa dikaitkan. "
                "Coba lagi nanti atau hubungi admin kota.",
                "The intake service does not know this complaint yet, so after-photos cannot be attached. "
                "Try again later or contact the city admin.",
            ),
        )
    named = [field for field in refusal.fields if any(str(photo_id) in field for photo_id in photo_ids)]
    which = ", ".join(named) or ", ".join(str(photo_id) for photo_id in photo_ids)
    errors = [
        {"field": "after_photo_ids", "in": "body", "photo_id": field, "message": Text("foto bermasalah", "photo refused")}
        for field in named
    ]
    if refusal.status == 409:
        error = StatusError(
            "after-photo-in-use",
            Text(
                f"Foto sesudah penanganan sudah menjadi bukti pelapor atau foto pengaduan lain: {which}. "
                "Ambil foto baru.",
                f"An after-photo is already a reporter's evidence or another complaint's after-photo: {which}. "
                "Take a new photo.",
            ),
        )
    else:
        error = StatusError(
            "after-photo-unknown" if refusal.status == 404 else "validation-error",
            Text(
                f"Layanan foto tidak mengenal atau menolak foto ini: {which}. Unggah ulang foto lewat sesi kamera.",
                f"The photo service does not know or refused these photos: {which}. Upload them again through a "
                "capture session.",
            ),
        )
        errors = errors or [{"field": "after_photo_ids", "in": "body", "message": Text("foto tidak dikenal", "unknown photo")}]
    error.extensions = {"errors": errors}
    return error
