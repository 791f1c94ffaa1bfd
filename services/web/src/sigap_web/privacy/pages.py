"""The data protection officer's pages (UU 27/2022, issue 15), over status's `/v1/privacy` API
(which forwards to intake, where the requests live): the queue with each request's 72-hour
deadline (`/pelindungan-data`), one request with its audit trail and the forms to grant or
refuse it, a granted access request's JSON export, and the counter form for a request whose
requester was checked on another channel (`/pelindungan-data/catat`). The `dpo` answers; a
`city_admin` reads and records (status gives them no export)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, translator
from sigap_web.dashboard.common import DASHBOARD_ROLES, NO_STORE, staff_call, when
from sigap_web.flash import redirect_saying
from sigap_web.i18n import Translator
from sigap_web.privacy import rules
from sigap_web.session import StaffSession
from sigap_web.staff.auth import require_staff

router = APIRouter(prefix="/pelindungan-data", include_in_schema=False)

PRIVACY_ROLES = ("dpo", "city_admin")
ANSWERING_ROLE = "dpo"
PrivacyStaff = Annotated[StaffSession, Depends(require_staff(*PRIVACY_ROLES))]
Officer = Annotated[StaffSession, Depends(require_staff(ANSWERING_ROLE))]
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
# Status refuses these with a problem the officer can act on; anything else is an error page.
FORM_REFUSALS = (403, 404, 409, 422)


def _render(request: Request, name: str, *, status_code: int = 200, **values: Any) -> Response:
    return request.app.state.templates.render(
        request, name, status_code=status_code, headers=NO_STORE, styles=["css/admin.css", "css/privacy.css"], **values
    )


def _problem_text(refused: UpstreamRefused) -> str:
    messages = [str(error.get("message")) for error in refused.problem.get("errors") or () if isinstance(error, dict)]
    return "; ".join([refused.message, *messages]) if messages else refused.message


def _row(t: Translator, request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A request as a queue row and the request page show it."""
    return request | {
        "tracking_code": request.get("tracking_code"),
        "deadline": rules.deadline(t, request["due_at"], now=now, open_=request["state"] == "open"),
        "received": when(request["received_at"]),
        "due": when(request["due_at"]),
        "answered": when(request.get("answered_at")),
    }


@router.get("")
async def queue(request: Request, context: Context, state: State, staff: PrivacyStaff, tab: str = "terbuka") -> Response:
    """Open requests, the earliest deadline first (overdue ones marked); or the closed ones,
    the latest answer first."""
    t = translator(context, state)
    tab = tab if tab in rules.TABS else "terbuka"
    call = staff_call(request, state, staff)
    lists = await asyncio.gather(
        *(context.upstreams.status.privacy_queue(call, state=wanted) for wanted in rules.TABS[tab])
    )
    now = datetime.now(UTC)
    rows = [_row(t, item, now) for found in lists for item in found]
    if tab == "selesai":
        rows.sort(key=lambda row: str(row.get("answered_at") or ""), reverse=True)
    return _render(request, "privacy/queue.html", rows=rows, tab=tab, tabs=tuple(rules.TABS))


@router.get("/catat")
async def record_form(request: Request, staff: PrivacyStaff) -> Response:
    return _record_page(request, values={}, error=None)


RECORD_FIELDS = ("tracking_code", "kind", "channel", "verification", "note")
ANSWER_FIELDS = ("decision", "reason", "basis", "name", "phone", "email")


def _record_page(request: Request, *, values: dict[str, str], error: str | None, status_code: int = 200) -> Response:
    values = {name: "" for name in RECORD_FIELDS} | values
    return _render(
        request, "privacy/record.html", status_code=status_code, values=values, error=error, kinds=rules.KINDS,
        channels=rules.CHANNELS, verifications=rules.VERIFICATIONS,
    )  # fmt: skip


@router.post("/catat")
async def record(
    request: Request,
    context: Context,
    state: State,
    staff: PrivacyStaff,
    tracking_code: Annotated[str, Form(max_length=32)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    channel: Annotated[str, Form(max_length=32)] = "",
    verification: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=1500)] = "",
) -> Response:
    t = translator(context, state)
    values = {"tracking_code": tracking_code, "kind": kind, "channel": channel, "verification": verification, "note": note}
    if kind not in rules.KINDS or channel not in rules.CHANNELS or verification not in rules.VERIFICATIONS:
        return _record_page(request, values=values, error=t("privacy.record.choose"), status_code=422)
    # The note is kept with the request (sealed at intake) in the city's language.
    details = rules.counter_note(context.catalogues["id"], channel=channel, verification=verification, note=note)
    body = {"tracking_code": tracking_code.strip().upper(), "kind": kind, "details": details}
    try:
        recorded = await context.upstreams.status.record_privacy_request(staff_call(request, state, staff), body=body)
    except UpstreamRefused as refused:
        if refused.status not in FORM_REFUSALS:
            raise
        return _record_page(request, values=values, error=_problem_text(refused), status_code=refused.status)
    return redirect_saying(request, f"/pelindungan-data/{recorded['id']}", "privacy.record.done")


async def _request_page(
    request: Request,
    context: Context,
    state: State,
    staff: StaffSession,
    request_id: str,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    t = translator(context, state)
    call = staff_call(request, state, staff)
    found = await context.upstreams.status.privacy_request(call, request_id=request_id)
    audit = await context.upstreams.status.privacy_audit(call, complaint_id=str(found["complaint_id"]))
    steps = [
        entry | {"words": rules.action_words(t, entry["action"]), "at_text": when(entry["at"])} for entry in audit
    ]
    return _render(
        request,
        "privacy/request.html",
        status_code=status_code,
        item=_row(t, found, datetime.now(UTC)),
        steps=steps,
        may_answer=staff.role == ANSWERING_ROLE and found["state"] == "open",
        may_open_complaint=staff.role in DASHBOARD_ROLES,
        has_export=staff.role == ANSWERING_ROLE and bool(found.get("has_export")),
        bases=rules.REFUSAL_BASES,
        error=error,
        values={name: "" for name in ANSWER_FIELDS} | (values or {}),
    )


@router.get("/{request_id}")
async def request_page(
    request: Request, context: Context, state: State, staff: PrivacyStaff, request_id: RequestId
) -> Response:
    return await _request_page(request, context, state, staff, request_id)


@router.post("/{request_id}/jawab")
async def answer(
    request: Request,
    context: Context,
    state: State,
    staff: Officer,
    request_id: RequestId,
    decision: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=1800)] = "",
    basis: Annotated[str, Form(max_length=16)] = "other",
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    t = translator(context, state)
    values = {"decision": decision, "reason": reason, "basis": basis, "name": name, "phone": phone, "email": email}
    if decision not in ("answered", "refused") or basis not in rules.REFUSAL_BASES:
        return await _request_page(
            request, context, state, staff, request_id, error=t("privacy.answer.choose"), values=values, status_code=422
        )
    if decision == "refused":
        # The law wants a refusal's reason; the legal basis alone is not one.
        if len(reason.strip()) < 10:
            return await _request_page(
                request, context, state, staff, request_id, error=t("privacy.answer.reason_required"), values=values,
                status_code=422,
            )  # fmt: skip
        reason = rules.refusal_reason(context.catalogues["id"], basis=basis, reason=reason)
    body: dict[str, Any] = {"decision": decision, "reason": reason.strip()}
    corrected = {key: value.strip() for key, value in (("name", name), ("phone", phone), ("email", email)) if value.strip()}
    if decision == "answered" and corrected:
        body["corrected_identity"] = corrected
    try:
        await context.upstreams.status.answer_privacy_request(
            staff_call(request, state, staff), request_id=request_id, body=body
        )
    except UpstreamRefused as refused:
        if refused.status not in FORM_REFUSALS:
            raise
        return await _request_page(
            request, context, state, staff, request_id, error=_problem_text(refused), values=values,
            status_code=refused.status,
        )  # fmt: skip
    key = "privacy.answer.granted" if decision == "answered" else "privacy.answer.refused"
    return redirect_saying(request, f"/pelindungan-data/{request_id}", key)


@router.get("/{request_id}/ekspor.json")
async def export(request: Request, context: Context, state: State, staff: Officer, request_id: RequestId) -> Response:
    """A granted access request's machine-readable export, as a file to hand to the reporter."""
    found = await context.upstreams.status.privacy_request(
        staff_call(request, state, staff), request_id=request_id, export=True
    )
    if found.get("export") is None:
        raise context.catalogues.problem(status=404, slug="privacy-export-missing")
    body = json.dumps(found["export"], ensure_ascii=False, indent=2).encode()
    return Response(
        body,
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="sigap-data-pribadi-{request_id}.json"',
        },
    )
