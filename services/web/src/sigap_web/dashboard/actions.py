"""The staff actions on a complaint's page, each a form post (CSRF-checked by the app-wide
dependency) that calls status or routing with the staff member's token. A done action answers
303 to the complaint's page (Post/Redirect/Get: a reload never posts it again) with a one-time
confirmation; a refused one shows the page again with the service's own explanation (stale
version, not permitted, a missing reason) and what the operator typed still in the form.
Status and routing decide who may do what; the page only hides forms a role can never use."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, WebContext, WebState, translator
from sigap_web.dashboard.common import DashboardStaff, staff_call
from sigap_web.dashboard.complaint import load_page, render_page
from sigap_web.flash import redirect_saying
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


class Action:
    """One action on one complaint for the signed-in staff member: the call it makes upstream
    and how the browser is answered."""

    def __init__(
        self, request: Request, context: WebContext, state: WebState, staff: StaffSession, complaint_id: UUID
    ) -> None:
        self.request, self.context, self.state, self.staff = request, context, state, staff
        self.complaint_id = complaint_id
        self.call = staff_call(request, state, staff)

    def status_post(self, path: str, body: dict[str, Any]):
        return self.context.upstreams.status.post_json(f"/v1/complaints/{self.complaint_id}/{path}", self.call, json=body)

    def routing(self, method: str, path: str, **kwargs: Any):
        return self.context.upstreams.routing.request(
            method, f"/v1/routing/complaints/{self.complaint_id}/{path}", self.call, **kwargs
        )

    def transition(self, body: dict[str, Any]):
        return self.status_post("transitions", body)

    async def done(
        self, work, *, success: str, typed: dict[str, str] | None = None, location: str | None = None
    ) -> Response:
        """Run the call: 303 to the complaint's page (or `location`) with `success` shown once;
        or the page again with the refusal and the operator's `typed` text (by field id)."""
        t = translator(self.context, self.state)
        try:
            answer = await work
        except UpstreamRefused as refused:
            log.info(
                "dashboard_action_refused", complaint_id=str(self.complaint_id), status=refused.status, slug=refused.slug
            )
            values = await load_page(self.request, self.context, self.state, self.staff, self.complaint_id)
            problem = t("dash.actions.refused", reason=_refusal_text(refused))
            return render_page(self.request, values, problem=problem, typed=typed or {}, status_code=refused.status)
        # A revealed identity is shown once on the page the browser is sent to, never stored.
        identity = answer if isinstance(answer, dict) and "audit_id" in answer else None
        return redirect_saying(
            self.request,
            location or f"/dasbor/pengaduan/{self.complaint_id}",
            success,
            data={"identity": identity} if identity else None,
        )


async def _action(
    complaint_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff
) -> Action:
    return Action(request, context, state, staff, complaint_id)


On = Annotated[Action, Depends(_action)]


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/verifikasi")
async def verify(act: On, expected_version: Version, note: Text4000 = "") -> Response:
    body = {"to": "terverifikasi", "expected_version": expected_version, "note": note.strip() or None}
    return await act.done(act.transition(body), success="dash.verify.done", typed={"verify-note": note})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/tolak")
async def reject(
    act: On, expected_version: Version, reason: Annotated[str, Form(max_length=32)] = "", note: Text4000 = ""
) -> Response:
    body = {"to": "ditolak", "expected_version": expected_version, "reason": reason or None, "note": note.strip() or None}
    typed = {"reject-reason": reason, "reject-note": note}
    return await act.done(act.transition(body), success="dash.reject.done", typed=typed)


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/gabung")
async def merge(act: On, expected_version: Version, duplicate_of: Annotated[UUID | None, Form()] = None) -> Response:
    body = {
        "to": "ditolak",
        "expected_version": expected_version,
        "reason": "duplicate",
        "duplicate_of": str(duplicate_of) if duplicate_of else None,
    }
    return await act.done(act.transition(body), success="dash.merge.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/tunda")
async def postpone(act: On, expected_version: Version, reason: Reason = "") -> Response:
    """SP4N-LAPOR!'s tunda (docs/lapor.md): status refuses anyone but the desk's admins."""
    work = act.status_post("lapor/tunda", {"reason": reason, "expected_version": expected_version})
    return await act.done(work, success="dash.postpone.done", typed={"postpone-reason": reason})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/lanjutkan")
async def resume(act: On, expected_version: Version) -> Response:
    return await act.done(act.status_post("lapor/lanjutkan", {"expected_version": expected_version}), success="dash.resume.done")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/arsipkan")
async def archive(act: On, expected_version: Version, note: Text4000 = "") -> Response:
    """Arsipkan as spam (a duplicate is archived by merging it into its original)."""
    body = {"reason": "spam", "note": note.strip() or None, "expected_version": expected_version}
    return await act.done(act.status_post("lapor/arsipkan", body), success="dash.archive.done", typed={"archive-note": note})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/petugas")
async def assign(act: On, expected_version: Version, officer: Annotated[str, Form(max_length=64)] = "") -> Response:
    work = act.context.upstreams.status.request(
        "PUT",
        f"/v1/complaints/{act.complaint_id}/assignment",
        act.call,
        json={"officer": officer.strip() or None, "expected_version": expected_version},
    )
    return await act.done(work, success="dash.assign.done" if officer.strip() else "dash.assign.released")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/alihkan")
async def transfer(act: On, to_department: Department, reason: Reason = "") -> Response:
    work = act.routing("POST", "transfer", json={"to_department": to_department.upper(), "reason": reason})
    # To the queue: the complaint leaves this department's view as soon as status hears of it.
    typed = {"transfer-to": to_department.upper(), "transfer-reason": reason}
    return await act.done(work, success="dash.transfer.done", typed=typed, location="/dasbor")


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/dukungan")
async def add_support(act: On, department: Department, reason: Reason = "") -> Response:
    work = act.routing("POST", "supporting", json={"department": department.upper(), "reason": reason})
    return await act.done(work, success="dash.support.done", typed={"support-reason": reason})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/hapus-dukungan")
async def remove_support(act: On, department: Department, reason: Reason = "") -> Response:
    work = act.routing("DELETE", f"supporting/{department.upper()}", params={"reason": reason})
    return await act.done(work, success="dash.unsupport.done", typed={"unsupport-reason": reason})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/pesan")
async def message_reporter(act: On, body: Text4000 = "") -> Response:
    work = act.status_post("notes", {"body": body, "visibility": "reporter"})
    return await act.done(work, success="dash.message.done", typed={"message-body": body})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/catatan")
async def internal_note(act: On, body: Text4000 = "") -> Response:
    work = act.status_post("notes", {"body": body, "visibility": "internal"})
    return await act.done(work, success="dash.note.done", typed={"note-body": body})


@router.post("/dasbor/pengaduan/{complaint_id}/aksi/identitas")
async def reveal_identity(act: On, reason: Reason = "") -> Response:
    """City admin only (status refuses anyone else); the look is audited at intake and shown
    in the complaint's timeline. The identity is shown once, on the page this answer sends the
    browser to (in the sealed one-time flash), never stored."""
    work = act.context.upstreams.status.get_json(
        f"/v1/staff/complaints/{act.complaint_id}/reporter-identity", act.call, params={"reason": reason}
    )
    return await act.done(work, success="dash.reveal.done", typed={"reveal-reason": reason})
