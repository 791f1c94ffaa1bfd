"""`GET /v1/stream`: the live dashboard notifications of a department (and, for a field
officer, their own), or of every department for the city admin and auditors, as Server-Sent
Events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Annotated

import orjson
import structlog
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from sigap_notify.access import require_department
from sigap_notify.context import Context
from sigap_notify.dashboard.hub import EVERY_DEPARTMENT, DashboardHub
from sigap_notify.errors import NotifyError
from sigap_notify.models import DepartmentCode
from sigap_notify.recipients import officer_recipient
from sigap_shared.auth import AuthError, CurrentStaff, StaffDirectoryUnavailable, StaffPrincipal
from sigap_shared.errors import Text
from sigap_shared.staff_directory import StaffDirectory

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get(
    "/stream",
    summary="Live dashboard notifications of a department, and for a field officer their own (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream(
    context: Context,
    staff: CurrentStaff,
    department: Annotated[
        DepartmentCode | None,
        Query(description="Department code, e.g. DISHUB, or TRIAGE; omitted: every department (city admin, auditor)"),
    ] = None,
) -> StreamingResponse:
    keys = stream_keys(staff, department)
    # An open stream is checked again as often as the staff directory forgets its answers, so
    # a deactivated account's stream ends within that bound too (STAFF_CONTRACT.md at status).
    recheck_s = max(1.0, min(15.0, context.settings.staff_check_ttl_s))
    return StreamingResponse(
        _events(context.hub, context.staff_directory, staff, keys, recheck_s=recheck_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def stream_keys(staff: StaffPrincipal, department: str | None) -> list[str]:
    """What the staff member's stream listens on; refused (`forbidden`) when they may not."""
    if department is None:
        if staff.role not in ("city_admin", "auditor"):
            raise NotifyError(
                "forbidden",
                Text(
                    id="Hanya admin kota dan auditor yang dapat mengikuti semua dinas; sebutkan dinas Anda.",
                    en="Only the city admin and auditors may follow every department; name your department.",
                ),
            )
        return [EVERY_DEPARTMENT]
    require_department(staff, department, write=False)
    # A field officer's stream also carries what is addressed to that officer alone.
    if staff.role == "field_officer" and staff.department == department:
        return [department, officer_recipient(department, staff.username)]
    return [department]


async def _events(
    hub: DashboardHub, directory: StaffDirectory, staff: StaffPrincipal, keys: Sequence[str], *, recheck_s: float
) -> AsyncIterator[bytes]:
    queue = hub.subscribe(*keys)
    checked = time.monotonic()
    try:
        yield b": connected\n\nretry: 3000\n\n"
        while True:
            if time.monotonic() - checked >= recheck_s:
                try:
                    await directory.check(staff)
                except AuthError:
                    log.info("staff_stream_ended", reason="account_refused")
                    return
                except StaffDirectoryUnavailable:
                    pass  # cannot tell now: asked again at the next check
                checked = time.monotonic()
            try:
                message = await asyncio.wait_for(queue.get(), recheck_s)
            except asyncio.TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield (
                f"id: {message['notification_id']}\nevent: {message['template']}\n".encode()
                + b"data: "
                + orjson.dumps(message)
                + b"\n\n"
            )
    finally:
        hub.unsubscribe(queue, *keys)
