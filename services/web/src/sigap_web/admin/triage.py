"""The triage desk (`/admin/triase`): complaints routing could not place (department TRIAGE,
from status's queue), each with routing's suggestion and reasons, and a form that sends one to
a department through routing's transfer (status and notify follow from its event)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from sigap_web.admin.common import CityAdmin, call, render
from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context
from sigap_web.flash import redirect_saying

router = APIRouter(include_in_schema=False)

TRIAGE_DESK = "TRIAGE"


async def _decision(request: Request, context: Context, staff, complaint_id: str) -> dict[str, Any] | None:
    try:
        return await context.upstreams.routing.get_json(f"/v1/routing/decisions/{complaint_id}", call(request, staff))
    except UpstreamRefused:
        return None


async def _triage_page(
    request: Request,
    context: Context,
    staff,
    *,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    queue = await context.upstreams.status.get_json(
        "/v1/staff/queue", call(request, staff), params={"department": TRIAGE_DESK, "sort": "oldest", "limit": "50"}
    )
    items = queue["items"]
    decisions = await asyncio.gather(*(_decision(request, context, staff, str(item["id"])) for item in items))
    departments = await context.departments.names(call(request, staff))
    return render(
        request,
        "admin/triage.html",
        status_code=status_code,
        items=list(zip(items, decisions, strict=True)),
        departments={code: name for code, name in departments.items() if code != TRIAGE_DESK},
        error=error,
    )


@router.get("/admin/triase")
async def triage_page(request: Request, context: Context, staff: CityAdmin) -> Response:
    return await _triage_page(request, context, staff)


@router.post("/admin/triase/{complaint_id}")
async def send_to_department(
    request: Request,
    context: Context,
    staff: CityAdmin,
    complaint_id: Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")],
    department: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    tracking_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        await context.upstreams.routing.post_json(
            f"/v1/routing/complaints/{complaint_id}/transfer",
            call(request, staff),
            json={"to_department": department, "reason": reason},
        )
    except UpstreamRefused as refused:
        if refused.status not in (404, 409, 422):
            raise
        messages = [str(e.get("message")) for e in refused.problem.get("errors") or () if isinstance(e, dict)]
        return await _triage_page(
            request,
            context,
            staff,
            error={
                "id": complaint_id,
                "message": "; ".join(messages) or refused.message,
                "department": department,
                "reason": reason,
            },
            status_code=refused.status,
        )
    return redirect_saying(request, "/admin/triase", "admin.triage.sent", code=tracking_code, department=department)
