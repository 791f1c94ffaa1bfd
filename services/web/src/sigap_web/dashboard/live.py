"""The queue's live updates: notify's staff stream (Server-Sent Events) relayed through this
service, so the browser holds no token of its own (backend-for-frontend). A department admin
hears their department; the city admin and auditors every department, or the one they picked.
Notify decides who may hear what: a department's admin asking for another is refused there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from sigap_web.context import Context, State
from sigap_web.dashboard.common import CITY_WIDE_ROLES, DashboardStaff, staff_call

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)


@router.get("/api/dasbor/stream")
async def stream(
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    department: Annotated[str, Query(max_length=32, pattern=r"^[A-Za-z0-9_]*$")] = "",
) -> StreamingResponse:
    department = department.upper()
    if not department and staff.role not in CITY_WIDE_ROLES:
        department = staff.department or ""
    upstream = await context.upstreams.notify.open_stream(
        staff_call(request, state, staff), params={"department": department} if department else {}
    )

    async def relay() -> AsyncIterator[bytes]:
        # Line by line, without notify's event names: the page handles every message alike
        # (the template is in the data too), including kinds added later.
        try:
            async for line in upstream.aiter_lines():
                if not line.startswith("event:"):
                    yield (line + "\n").encode()
        except httpx.HTTPError as exc:
            # Notify went away (restart, deploy): end this stream; the browser reconnects.
            log.info("staff_stream_upstream_ended", error=type(exc).__name__)
        finally:
            await upstream.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
