"""A complaint's page (`/dasbor/pengaduan/{id}`): what the reporter wrote, the place on a map
over the kelurahan boundaries, the photos with their live-photo verdicts and reasons, the
timeline, routing's reasons and confidence, and the supporting departments; and for the
staff who may act, the actions (form posts, see `actions.py`). Auditors read everything and
get no forms. Everything comes from status and routing with the staff member's own token, so
each service's isolation rule decides what is shown: a complaint another department handles
is the same "not found" as one that does not exist."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response

from sigap_web.clients import Call, UpstreamRefused, UpstreamUnavailable
from sigap_web.context import Context, State, WebContext, WebState, translator
from sigap_web.dashboard.common import (
    NO_STORE,
    DashboardStaff,
    deadline_day,
    escalation_step_words,
    progress_words,
    staff_call,
    status_words,
    when,
)
from sigap_web.dashboard.evidence import photo_evidence
from sigap_web.dashboard.queue import category_choices
from sigap_web.session import StaffSession

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

OPEN_STATUSES = ("diterima", "terverifikasi", "dalam_proses", "dibuka_kembali")
REJECTION_REASONS = ("hoax", "spam", "out_of_scope")
# Timeline details worth a line on the page, in this order.
DETAIL_FIELDS = (
    "from",
    "to",
    "department",
    "from_department",
    "to_department",
    "kind",
    "officer",
    "previous_officer",
    "reason",
    "note",
    "body",
    "text",
    "resolution_note",
    "rating",
    "comment",
    "duplicate_of",
    "step",
    "working_days_overdue",
)


def _event_key(event_type: str) -> str:
    """"sigap.complaint.routed.v1" -> "complaint.routed"; "sigap.status.internal_note" -> "status.internal_note"."""
    name = event_type.removeprefix("sigap.")
    head, _, tail = name.rpartition(".")
    return head if tail.startswith("v") and tail[1:].isdigit() else name


ESCALATION_EVENTS = ("complaint.escalated", "complaint.sla_breached")


def _escalation_lines(t, event: str, detail: dict[str, Any]) -> list[tuple[str, Any]]:
    """A missed deadline and each escalation step in words: who was told (the roles a breach
    alerts, the ladder step an escalation tells), which stage was late, its deadline and how
    late it was."""
    lines: list[tuple[str, Any]] = []
    if event == "complaint.escalated" and detail.get("step"):
        told = escalation_step_words(t, detail["step"])
        if detail.get("step_number"):
            told = t("escalation.timeline.told_value", name=told, number=detail["step_number"])
        lines.append((t("escalation.timeline.told"), told))
    stage = detail.get("stage")
    if stage:
        key = f"escalation.stage.{stage}"
        lines.append((t("escalation.timeline.stage"), t(key) if key in t.catalogue else stage))
    if detail.get("due_at"):
        lines.append((t("escalation.timeline.due"), deadline_day(detail["due_at"])))
    if detail.get("working_days_overdue") not in (None, ""):
        lines.append((t("dash.detail.working_days_overdue"), detail["working_days_overdue"]))
    # A breach alerts staff roles (`escalate_to`), before any ladder step is told.
    if roles := [role for role in detail.get("escalate_to") or () if role]:
        lines.append(
            (
                t("escalation.timeline.alerted"),
                ", ".join(t(f"staff.role.{role}") if f"staff.role.{role}" in t.catalogue else role for role in roles),
            )
        )
    return lines


def _timeline(t, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    story = []
    for entry in entries:
        event = _event_key(entry["type"])
        key = f"dash.event.{event}"
        detail = entry.get("detail") or {}
        if event in ESCALATION_EVENTS:
            lines = _escalation_lines(t, event, detail)
        else:
            lines = [
                (t(f"dash.detail.{name}"), status_words(t, detail[name]) if name in ("from", "to") else detail[name])
                for name in DETAIL_FIELDS
                if detail.get(name) not in (None, "", [])
            ]
        story.append(
            {
                "at": when(entry["at"]),
                "what": t(key) if key in t.catalogue else entry["type"],
                "actor": entry["actor"],
                "lines": lines,
                "escalation": event in ESCALATION_EVENTS,
            }
        )
    return story


async def _optional(coroutine, *, service: str) -> tuple[Any, str | None]:
    """An optional part of the page: its data, or why it is missing (the page still shows)."""
    try:
        return await coroutine, None
    except UpstreamRefused as refused:
        return None, refused.message or f"{service}: {refused.status}"
    except UpstreamUnavailable:
        return None, "unavailable"


def _may_act(staff: StaffSession, complaint: dict[str, Any]) -> bool:
    """The lead department's admin or the city admin (status and routing decide again)."""
    return staff.role == "city_admin" or (
        staff.role == "dept_admin" and staff.department == complaint.get("department")
    )


async def load_page(
    request: Request, context: WebContext, state: WebState, staff: StaffSession, complaint_id: UUID
) -> dict[str, Any]:
    """Everything the complaint page shows. The complaint itself must load (a refusal, e.g.
    the 404 of a complaint another department handles, is raised); the other parts may be
    missing and the page says so."""
    t = translator(context, state)
    call: Call = staff_call(request, state, staff)
    status = context.upstreams.status
    complaint = await status.get_json(f"/v1/staff/complaints/{complaint_id}", call)
    may_act = _may_act(staff, complaint)
    department = complaint.get("department")
    wants_officers = may_act and department and complaint.get("status") in OPEN_STATUSES
    (decision, decision_error), (photos, photos_error), (candidates, _), (officers, _), departments = (
        await asyncio.gather(
            _optional(context.upstreams.routing.get_json(f"/v1/routing/decisions/{complaint_id}", call), service="routing"),
            _optional(status.get_json(f"/v1/staff/complaints/{complaint_id}/photos", call), service="status"),
            _optional(
                status.get_json(f"/v1/staff/complaints/{complaint_id}/duplicate-candidates", call), service="status"
            )
            if may_act and "ditolak" in complaint.get("allowed_transitions", [])
            else _none(),
            _optional(status.get_json(f"/v1/staff/departments/{department}/officers", call), service="status")
            if wants_officers
            else _none(),
            context.departments.names(call),
        )
    )
    category_names = {c["code"]: c["name"] for c in await category_choices(context, call)}
    allowed = complaint.get("allowed_transitions", [])
    supporting = complaint.get("supporting_departments") or []
    is_supporter = staff.role == "dept_admin" and staff.department in supporting
    desk = may_act and staff.role in ("dept_admin", "city_admin")
    return {
        "complaint": complaint,
        "category_name": category_names.get(complaint.get("category") or "", complaint.get("category") or "-"),
        **progress_words(t, complaint),
        "department_name": departments.get(department or "", department or "-"),
        "lapor_due": when(complaint.get("lapor_stage_due_at")),
        "supporting": [(code, departments.get(code, code)) for code in supporting],
        "timeline": _timeline(t, complaint.get("timeline") or []),
        "decision": decision,
        "decision_error": decision_error,
        "photos": [
            {
                **photo,
                "src": f"/dasbor/pengaduan/{complaint_id}/foto/{photo['photo_id']}",
                "taken": when(photo.get("taken_at")),
                "evidence": photo_evidence(t, photo),
            }
            for photo in photos or []
        ],
        "photos_error": photos_error,
        "candidates": [{**c, "submitted": when(c.get("submitted_at"))} for c in candidates or []],
        "officers": [officer["username"] for officer in officers or []],
        "departments": sorted(
            ((code, name) for code, name in departments.items() if code not in (department, "TRIAGE")),
            key=lambda item: item[1],
        ),
        "may": {
            "act": may_act,
            "verify": may_act and "terverifikasi" in allowed,
            "reject": may_act and "ditolak" in allowed,
            # SP4N-LAPOR!'s desk actions (docs/lapor.md): department and city admins only.
            "postpone": desk and complaint.get("status") in OPEN_STATUSES and not complaint.get("lapor_postponed_at"),
            "resume": desk and bool(complaint.get("lapor_postponed_at")),
            "archive": desk and "ditolak" in allowed,
            "assign": bool(wants_officers),
            "transfer": may_act and complaint.get("status") in OPEN_STATUSES,
            "support": may_act and complaint.get("status") in OPEN_STATUSES,
            "unsupport": may_act or is_supporter,
            "own_support": staff.department if is_supporter and not may_act else None,
            "message": may_act,
            "note": staff.role != "auditor",
            "reveal": staff.role == "city_admin" and complaint.get("privacy") == "rahasia",
        },
        "rejection_reasons": REJECTION_REASONS,
        "map": {
            "boundaries": "/api/map/kelurahan.geojson",
            "tiles": context.settings.web_tile_url,
            "tile_attribution": context.settings.web_tile_attribution,
            "point": [complaint["lat"], complaint["lon"]] if complaint.get("lat") is not None else None,
            "label": complaint.get("tracking_code"),
        },
    }


async def _none() -> tuple[None, None]:
    return None, None


def render_page(
    request: Request,
    values: dict[str, Any],
    *,
    notice: str | None = None,
    problem: str | None = None,
    identity: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    # no-store: the page holds complaint details, and once a revealed identity.
    return request.app.state.templates.render(
        request,
        "dashboard/complaint.html",
        status_code=status_code,
        headers=NO_STORE,
        notice=notice,
        problem=problem,
        identity=identity,
        typed=typed or {},
        **values,
    )


@router.get("/dasbor/pengaduan/{complaint_id}")
async def complaint_page(
    complaint_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff
) -> Response:
    values = await load_page(request, context, state, staff, complaint_id)
    flash = state.take_flash()  # an action's outcome, shown here once (see actions.py)
    if flash is None:
        return render_page(request, values)
    return render_page(
        request,
        values,
        notice=flash.text if flash.kind == "notice" else None,
        problem=flash.text if flash.kind == "problem" else None,
        identity=flash.data.get("identity"),
    )


@router.get("/dasbor/pengaduan/{complaint_id}/foto/{photo_id}")
async def complaint_photo(
    complaint_id: UUID, photo_id: UUID, request: Request, context: Context, state: State, staff: DashboardStaff
) -> Response:
    upstream = await context.upstreams.status.request(
        "GET", f"/v1/staff/complaints/{complaint_id}/photos/{photo_id}", staff_call(request, state, staff)
    )
    return Response(upstream.content, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
