"""The citizen's pages: the start page, the report page (camera, map, queue: its script does
the work) and tracking by code. Tracking is rendered on the server from intake's tracking
view; the follow-up token comes with the form (the page fills it in from the device), never
in a URL."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sigap_web.clients import UpstreamRefused, UpstreamUnavailable
from sigap_web.context import Context, State, call_for, translator

router = APIRouter(include_in_schema=False)

KINDS = ("pengaduan", "aspirasi", "permintaan_informasi")
PRIVACY = ("publik", "rahasia", "anonim")
TRACKING_CODE = re.compile(r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$")
FOLLOW_UP_ACTIONS = ("information", "rating", "reopen")
# Statuses after which the reporter may rate and ask to reopen.
CLOSED = ("selesai",)

# What a reporter may ask about their personal data (UU 27/2022), in the order offered.
PRIVACY_KINDS = ("access", "correction", "restriction", "deletion")

Code = Annotated[str, Form(min_length=1, max_length=32)]
Token = Annotated[str, Form(max_length=200)]


def _render(request: Request, name: str, **values: Any) -> Response:
    return request.app.state.templates.render(request, name, **values)


@router.get("/")
async def home(request: Request, context: Context, state: State) -> Response:
    page = {"strings": translator(context, state).prefixed("js.mine_")}
    return _render(request, "citizen/home.html", page=page)


@router.get("/lapor")
async def report(request: Request, context: Context, state: State) -> Response:
    t = translator(context, state)
    settings = context.settings
    page = {
        "lang": state.lang,
        "strings": t.prefixed("js."),
        "map": {
            "boundaries": "/api/map/kelurahan.geojson",
            "tiles": settings.web_tile_url,
            "tile_attribution": settings.web_tile_attribution,
            "center": [-6.4025, 106.7942],
        },
    }
    return _render(request, "citizen/report.html", page=page, kinds=KINDS, privacy=PRIVACY)


@router.get("/lacak")
async def track_form(request: Request, code: str = "") -> Response:
    code = code.strip().upper()
    return _render(request, "citizen/track.html", code=code if TRACKING_CODE.match(code) else "", view=None,
                   error=None, notice=None, token="")


def _timeline(view: dict, t, departments: dict[str, str]) -> list[dict[str, Any]]:
    """Intake's timeline in plain words, oldest first, starting with the report's arrival."""
    entries = [{"at": view["submitted_at"], "text": t("track.event.submitted"), "note": None}]
    previous_status = None
    for entry in view["timeline"]:
        department = departments.get(entry.get("department") or "", entry.get("department") or "")
        note = entry.get("note")
        if entry["event_type"].startswith("sigap.complaint.routed"):
            text = t("track.event.routed", department=department)
        elif entry.get("status") == "selesai" and previous_status == "selesai":
            # `selesai` → `selesai` is only ever SP4N-LAPOR!'s auto-close: its own words say why.
            text, note = t("track.event.closed_automatically"), None
        elif entry.get("status"):
            key = f"status.{entry['status']}.story"
            text = t(key, department=department) if key in t.catalogue else t("track.event.changed")
        else:
            text = t("track.event.changed")
        previous_status = entry.get("status") or previous_status
        entries.append({"at": entry["occurred_at"], "text": text, "note": note})
    return entries


def _reopening(view: dict) -> dict[str, Any]:
    """Whether the reporter may still object (reopen) and until when, from intake's answer and
    status's LAPOR! stage: intake knows the calendar-day bound and whether the auto-close has
    happened, status when it will happen (in working days) and after how many quiet working days
    it closes (None when status cannot say: the page then names no number rather than guess one).
    Closed as soon as either says so."""
    lapor = view.get("lapor") or {}
    closed_by_lapor = view.get("lapor_closed_at") is not None or lapor.get("lapor_stage") == "ditutup"
    deadlines = [view.get("reopen_until")]
    if lapor.get("lapor_stage") == "menunggu_tanggapan":
        deadlines.append(lapor.get("lapor_stage_due_at"))
    known = [datetime.fromisoformat(str(deadline)) for deadline in deadlines if deadline]
    return {
        "allowed": bool(view.get("can_reopen")) and not closed_by_lapor,
        "until": min(known) if known else None,
        "closed_by_lapor": closed_by_lapor,
        "closed_at": view.get("lapor_closed_at"),
        "close_days": lapor.get("close_days"),
    }


WIB = timezone(timedelta(hours=7))


def when(value: object) -> str:
    """A moment as Depok reads it: local time (WIB)."""
    return datetime.fromisoformat(str(value)).astimezone(WIB).strftime("%d/%m/%Y %H:%M WIB")


async def _show(
    request: Request, context, state, *, code: str, token: str, notice: str | None = None, status_code: int = 200
) -> Response:
    t = translator(context, state)
    code = code.strip().upper()
    if not TRACKING_CODE.match(code):
        return request.app.state.templates.render(
            request, "citizen/track.html", status_code=422, code=code, token=token, view=None,
            error=t("track.bad_code"), notice=None,
        )
    call = call_for(request, state)
    try:
        view = await context.upstreams.intake.track(call, tracking_code=code, follow_up_token=token or None)
    except UpstreamRefused as refused:
        if refused.status != 404:
            raise
        return request.app.state.templates.render(
            request, "citizen/track.html", status_code=404, code=code, token=token, view=None,
            error=t("track.not_found"), notice=None,
        )
    try:
        view["lapor"] = await context.upstreams.status.lapor_stage(call, tracking_code=code)
    except (UpstreamRefused, UpstreamUnavailable):
        view["lapor"] = None  # the page says everything else without the SP4N-LAPOR! stage
    view["privacy_requests"] = (
        await _privacy_requests(context, call, code=code, token=token, exports=False) if token else None
    )
    departments = await context.departments.names(call)
    view["department_name"] = departments.get(view.get("department") or "", view.get("department"))
    view["story"] = _timeline(view, t, departments)
    view["closed"] = view["status"] in CLOSED
    view["reopening"] = _reopening(view)
    return request.app.state.templates.render(
        request, "citizen/track.html", status_code=status_code, code=code, token=token, view=view, error=None,
        notice=notice, when=when, privacy_kinds=PRIVACY_KINDS,
    )


async def _privacy_requests(context, call, *, code: str, token: str, exports: bool) -> list[dict] | None:
    """The reporter's personal-data requests, newest first; None when intake cannot say now (the
    rest of the page does not wait on them). Exports only for a download: intake audits each
    one it hands out, and the page itself shows only that one is ready."""
    try:
        requests = await context.upstreams.intake.my_privacy_requests(
            call, tracking_code=code, follow_up_token=token, exports=exports
        )
    except (UpstreamRefused, UpstreamUnavailable):
        return None
    return sorted(requests, key=lambda request: str(request["received_at"]), reverse=True)


@router.post("/lacak")
async def track(request: Request, context: Context, state: State, code: Code, token: Token = "") -> Response:
    return await _show(request, context, state, code=code, token=token)


@router.post("/lacak/data-pribadi")
async def ask_about_personal_data(
    request: Request,
    context: Context,
    state: State,
    code: Code,
    token: Token,
    kind: Annotated[str, Form(max_length=32)] = "",
    details: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The reporter asks for access to, correction, restriction or deletion of their data."""
    t = translator(context, state)
    if kind not in PRIVACY_KINDS:
        return await _show(
            request, context, state, code=code, token=token, notice=t("track.action_refused", reason=t("track.privacy.choose")),
            status_code=422,
        )  # fmt: skip
    try:
        answer = await context.upstreams.intake.ask_privacy(
            call_for(request, state), tracking_code=code.strip().upper(), follow_up_token=token, kind=kind,
            details=details.strip() or None,
        )  # fmt: skip
    except UpstreamRefused as refused:
        return await _show(
            request, context, state, code=code, token=token, notice=t("track.action_refused", reason=_refusal(refused)),
            status_code=refused.status,
        )  # fmt: skip
    return await _show(request, context, state, code=code, token=token, notice=answer.get("message"))


@router.post("/lacak/data-pribadi/ekspor")
async def download_personal_data(
    request: Request,
    context: Context,
    state: State,
    code: Code,
    token: Token,
    request_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The export of a granted access request, as a file; the token comes with the form, so the
    file's address carries nothing."""
    t = translator(context, state)
    call = call_for(request, state)
    code = code.strip().upper()
    if TRACKING_CODE.match(code):
        requests = await _privacy_requests(context, call, code=code, token=token, exports=True) or []
        for asked in requests:
            if str(asked["id"]) == request_id and asked.get("export") is not None:
                return Response(
                    json.dumps(asked["export"], ensure_ascii=False, indent=2).encode(),
                    media_type="application/json",
                    headers={
                        "Cache-Control": "no-store",
                        "Content-Disposition": f'attachment; filename="sigap-data-pribadi-{code}.json"',
                    },
                )
    return await _show(
        request, context, state, code=code, token=token, notice=t("track.privacy.no_export"), status_code=404
    )


def _refusal(refused: UpstreamRefused) -> str:
    detail = refused.message
    errors = refused.problem.get("errors") or []
    if errors and isinstance(errors[0], dict):
        detail = f"{detail} ({errors[0].get('field')}: {errors[0].get('message')})"
    return detail


@router.post("/lacak/{action}")
async def follow_up(
    action: str,
    request: Request,
    context: Context,
    state: State,
    code: Code,
    token: Token,
    text: Annotated[str | None, Form(max_length=4000)] = None,
    rating: Annotated[int | None, Form(ge=1, le=5)] = None,
    comment: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    t = translator(context, state)
    if action not in FOLLOW_UP_ACTIONS:
        return Response(status_code=404)
    body: dict[str, Any]
    if action == "information":
        body = {"text": text or ""}
    elif action == "rating":
        body = {"rating": rating, "comment": comment or None}
    else:
        body = {"reason": text or ""}
    try:
        answer = await context.upstreams.intake.follow_up(
            call_for(request, state), tracking_code=code.strip().upper(), follow_up_token=token, action=action, body=body
        )
    except UpstreamRefused as refused:
        return await _show(
            request, context, state, code=code, token=token, notice=t("track.action_refused", reason=_refusal(refused)),
            status_code=refused.status,
        )
    return await _show(request, context, state, code=code, token=token, notice=answer.get("message"))
