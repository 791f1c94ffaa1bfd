"""The staff actions on a complaint's page, each a form post (CSRF-checked by the app-wide
dependency) that calls status or routing with the staff member's token and shows the page
again with a plain confirmation, or with the service's own explanation when it refused
(stale version, not permitted, a missing reason). Status and routing decide who may do what;
the page only hides forms a role can never use."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, WebContext, WebState, translator
from sigap_web.dashboard.common import DashboardStaff, staff_call
from sigap_web.dashboard.complaint import load_page, render_page
from sigap_web.session import StaffSession

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

Version = Annotated[int, Form(ge=0, le=2_147_483_647)]
Reason = Annotated[str, Form(max_length=500)]
Text4000 = Annotated[str, Form(max_length=4000)]
Department = Annotated[str, Form(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]


def _refusal_text(refused: UpstreamRefused) -> str:
    """The service's explanation, with the field it names when there is one."""
    message = refused.message
    errors = refused.problem.get("errors") or []
    if errors and isinstance(errors[0], dict) and errors[0].get("message"):
        detail = errors[0]["message"]
        if isinstance(detail, str) and detail not in message:
            message = f"{message} ({errors[0].get('field')}: {detail})"
    return message


async def _done(
    request: Request,
    context: WebContext,
    state: WebState,
    staff: StaffSession,
    complaint_id: UUID,
    work,
    *,
    success: str,
) -> Response:
    """Run one action and show the page again with its outcome."""
    t = translator(context, state)
    notice, problem, status_code, identity = None, None, 200, None
    try:
        answer = await work
    except UpstreamRefused as refused:
        problem, status_code = t("dash.actions.refused", reason=_refusal_text(refused)), refused.status
        log.info("dashboard_action_refused", complaint_id=str(complaint_id), status=refused.status, slug=refused.slug)
    else:
        notice = t(success)
        if isinstance(answer, dict) and "audit_id" in answer:
            identity = answer
    try:
        values = await load_page(request, context, state, staff, complaint_id)
    except UpstreamRefused as refused:
        if notice is None or refused.status != 404:
            raise
        # Handed to another department: this one no longer sees it.
        return request.app.state.templates.render(
            request, "error.html", title=notice, detail=t("dash.actions.gone"), status=200
        )
    return render_page(request, values, notice=notice, problem=problem, identity=identity, status_code=status_code)


def _transition(context: WebContext, call, complaint_id: UUID, body: dict[str, Any]):
    return context.upstreams.status.post_json(f"/v1/complaints/{complaint_id}/transitions", call, json=body)


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/verifikasi")
async def verify(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    expected_version: Version,
    note: Text4000 = "",
) -> Response:
    body = {"to": "terverifikasi", "expected_version": expected_version, "note": note.strip() or None}
    call = staff_call(request, state, staff)
    return await _done(
        request, context, state, staff, complaint_id, _transition(context, call, complaint_id, body), success="dash.verify.done"
    )


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/tolak")
async def reject(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    expected_version: Version,
    reason: Annotated[str, Form(max_length=32)] = "",
    note: Text4000 = "",
) -> Response:
    body = {"to": "ditolak", "expected_version": expected_version, "reason": reason or None, "note": note.strip() or None}
    call = staff_call(request, state, staff)
    return await _done(
        request, context, state, staff, complaint_id, _transition(context, call, complaint_id, body), success="dash.reject.done"
    )


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/gabung")
async def merge(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    expected_version: Version,
    duplicate_of: Annotated[UUID | None, Form()] = None,
) -> Response:
    body = {"to": "ditolak", "expected_version": expected_version, "reason": "duplicate", "duplicate_of": str(duplicate_of) if duplicate_of else None}
    call = staff_call(request, state, staff)
    return await _done(
        request, context, state, staff, complaint_id, _transition(context, call, complaint_id, body), success="dash.merge.done"
    )


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/petugas")
async def assign(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    expected_version: Version,
    officer: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    call = staff_call(request, state, staff)
    work = context.upstreams.status.request(
        "PUT",
        f"/v1/complaints/{complaint_id}/assignment",
        call,
        json={"officer": officer.strip() or None, "expected_version": expected_version},
    )
    success = "dash.assign.done" if officer.strip() else "dash.assign.released"
    return await _done(request, context, state, staff, complaint_id, work, success=success)


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/alihkan")
async def transfer(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    to_department: Department,
    reason: Reason = "",
) -> Response:
    call = staff_call(request, state, staff)
    work = context.upstreams.routing.post_json(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        call,
        json={"to_department": to_department.upper(), "reason": reason},
    )
    return await _done(request, context, state, staff, complaint_id, work, success="dash.transfer.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/dukungan")
async def add_support(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    department: Department,
    reason: Reason = "",
) -> Response:
    call = staff_call(request, state, staff)
    work = context.upstreams.routing.post_json(
        f"/v1/routing/complaints/{complaint_id}/supporting", call, json={"department": department.upper(), "reason": reason}
    )
    return await _done(request, context, state, staff, complaint_id, work, success="dash.support.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/hapus-dukungan")
async def remove_support(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: DashboardStaff,
    department: Department,
    reason: Reason = "",
) -> Response:
    call = staff_call(request, state, staff)
    work = context.upstreams.routing.request(
        "DELETE",
        f"/v1/routing/complaints/{complaint_id}/supporting/{department.upper()}",
        call,
        params={"reason": reason},
    )
    return await _done(request, context, state, staff, complaint_id, work, success="dash.unsupport.done")


async def _note(context: WebContext, call, complaint_id: UUID, body: str, visibility: str):
    return await context.upstreams.status.post_json(
        f"/v1/complaints/{complaint_id}/notes", call, json={"body": body, "visibility": visibility}
    )


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/pesan")
async def message_reporter(
    complaint_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff, body: Text4000 = ""
) -> Response:
    work = _note(context, staff_call(request, state, staff), complaint_id, body, "reporter")
    return await _done(request, context, state, staff, complaint_id, work, success="dash.message.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/catatan")
async def internal_note(
    complaint_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff, body: Text4000 = ""
) -> Response:
    work = _note(context, staff_call(request, state, staff), complaint_id, body, "internal")
    return await _done(request, context, state, staff, complaint_id, work, success="dash.note.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/identitas")
async def reveal_identity(
    complaint_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff, reason: Reason = ""
) -> Response:
    """City admin only (status refuses anyone else); the look is audited at intake and shown
    in the complaint's timeline. The identity is shown once, in this answer, never stored."""
    work = context.upstreams.status.get_json(
        f"/v1/staff/complaints/{complaint_id}/reporter-identity", staff_call(request, state, staff), params={"reason": reason}
    )
    return await _done(request, context, state, staff, complaint_id, work, success="dash.reveal.done")
