"""The field officer's pages. Everything comes from status's task API (`/v1/staff/tasks`,
only the officer's own tasks: another officer's or department's answers 404) and goes back
through status's lifecycle (`POST /v1/complaints/{id}/transitions`). The citizen's photos (the
"before" evidence, with their live-photo verdicts) come from status's staff photo API, which
applies the same rule: only the officer the complaint is assigned to. The after-photo is taken
like a citizen's: a web-camera capture session at intake and the frame uploaded through
`/api/photos`; status claims it at intake and accepts `selesai` only for a live one. With
JavaScript, the page queues its changes on the device instead of posting the forms (see
`officer/api.py`); the forms are what a phone without it uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sigap_web.clients import UpstreamRefused, UpstreamUnavailable
from sigap_web.context import Context, State, WebContext, WebState, call_for, translator
from sigap_web.i18n import Translator
from sigap_web.session import StaffSession
from sigap_web.staff.auth import require_staff

router = APIRouter(prefix="/tugas", include_in_schema=False)

Officer = Annotated[StaffSession, Depends(require_staff("field_officer"))]
WIB = timezone(timedelta(hours=7))
# The notices a redirect may ask the task page to show (never free text in a URL).
NOTICES = ("mulai", "selesai")


# -- how a task reads -------------------------------------------------------------------------


def duration(delta: timedelta, t: Translator) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return t("officer.duration_days", days=days, hours=hours)
    if hours:
        return t("officer.duration_hours", hours=hours, minutes=minutes)
    return t("officer.duration_minutes", minutes=minutes)


def sla_text(task: dict[str, Any], t: Translator, *, now: datetime) -> str:
    """The SLA countdown in words: time left, time over, paused or none running."""
    if task["sla_state"] == "paused":
        return t("officer.sla_paused")
    if not task.get("sla_due_at"):
        return t("officer.sla_none")
    due = datetime.fromisoformat(task["sla_due_at"])
    if due <= now:
        return t("officer.sla_over", duration=duration(now - due, t))
    return t("officer.sla_left", duration=duration(due - now, t))


def distance_text(metres: float | None, t: Translator) -> str | None:
    if metres is None:
        return None
    if metres < 1000:
        return t("officer.distance_m", metres=int(round(metres, -1)) or int(round(metres)))
    km = f"{metres / 1000:.1f}"
    return t("officer.distance_km", km=km.replace(".", ",") if t.lang == "id" else km)


def maps_links(task: dict[str, Any]) -> dict[str, str] | None:
    """A `geo:` URI (the phone's maps app) and an https map page for phones without one; plain
    links, no third-party script."""
    if task.get("lat") is None or task.get("lon") is None:
        return None
    lat, lon = f"{task['lat']:.6f}", f"{task['lon']:.6f}"
    label = quote(task["tracking_code"], safe="")
    return {
        "geo": f"geo:{lat},{lon}?q={lat},{lon}({label})",
        "web": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}",
    }


def heading(task: dict[str, Any], t: Translator, *, length: int = 70) -> str:
    """The title, or (reports from the citizen page have none) the description's beginning."""
    if task.get("title"):
        return task["title"]
    text = " ".join((task.get("description") or "").split())
    if not text:
        return t("officer.untitled")
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def _shown(task: dict[str, Any], t: Translator, *, now: datetime, near: tuple[float, float] | None) -> dict[str, Any]:
    due = task.get("sla_due_at")
    return {
        **task,
        "heading": heading(task, t),
        "sla_text": sla_text(task, t, now=now),
        "sla_due_local": datetime.fromisoformat(due).astimezone(WIB).strftime("%d/%m/%Y %H:%M WIB") if due else None,
        "distance_text": distance_text(task.get("distance_m"), t),
        "maps": maps_links(task),
        "href": f"/tugas/{task['id']}" + (f"?{urlencode({'lat': near[0], 'lon': near[1]})}" if near else ""),
    }


def _near(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    return None if lat is None or lon is None else (lat, lon)


def _near_in_query(
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> tuple[float, float] | None:
    return _near(lat, lon)


def _near_in_form(
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> tuple[float, float] | None:
    return _near(lat, lon)


# Where the officer is, when the page found out (`lat` and `lon` in the query or the form): it
# orders the tasks and gives each its distance.
Near = Annotated[tuple[float, float] | None, Depends(_near_in_query)]
FormNear = Annotated[tuple[float, float] | None, Depends(_near_in_form)]


def _position_params(near: tuple[float, float] | None) -> dict[str, str]:
    return {} if near is None else {"near_lat": repr(near[0]), "near_lon": repr(near[1])}


async def _tasks(request: Request, context: WebContext, state: WebState, staff: StaffSession, near) -> dict[str, Any]:
    answer = await context.upstreams.status.get_json(
        "/v1/staff/tasks", call_for(request, state, token=staff.access_token), params=_position_params(near)
    )
    t, now = translator(context, state), datetime.now(UTC)
    return {"order": answer["order"], "tasks": [_shown(task, t, now=now, near=near) for task in answer["items"]]}


# -- pages ------------------------------------------------------------------------------------


@router.get("")
async def task_list(request: Request, context: Context, state: State, staff: Officer, near: Near):
    listing = await _tasks(request, context, state, staff, near)
    page = {"strings": translator(context, state).prefixed("officer.js_")}
    return request.app.state.templates.render(request, "officer/tasks.html", page=page, **listing)


@router.get("/daftar")
async def task_list_part(request: Request, context: Context, state: State, staff: Officer, near: Near):
    """The list alone, ordered from the position the page found (the page swaps it in)."""
    listing = await _tasks(request, context, state, staff, near)
    return request.app.state.templates.render(request, "officer/_task_list.html", **listing)


async def _before_photos(request: Request, context: WebContext, state: WebState, staff: StaffSession, complaint_id: UUID):
    """The citizen's photos with their verdicts, or None when they cannot be had just now (the
    task page still opens: the officer can work without them)."""
    try:
        photos = await context.upstreams.status.get_json(
            f"/v1/staff/complaints/{complaint_id}/photos", call_for(request, state, token=staff.access_token)
        )
    except (UpstreamUnavailable, UpstreamRefused):
        return None
    return [
        {**photo, "src": f"/tugas/{complaint_id}/foto/{photo['photo_id']}"}
        for photo in photos
        if photo.get("role") == "evidence"
    ]


async def _task_page(
    request: Request,
    context: WebContext,
    state: WebState,
    staff: StaffSession,
    complaint_id: UUID,
    *,
    near: tuple[float, float] | None = None,
    notice: str | None = None,
    error: str | None = None,
    note: str = "",
    status_code: int = 200,
) -> Response:
    task = await context.upstreams.status.get_json(
        f"/v1/staff/tasks/{complaint_id}",
        call_for(request, state, token=staff.access_token),
        params=_position_params(near),
    )
    t = translator(context, state)
    page = {
        "strings": t.prefixed("officer.js_"),
        "place": {"lat": task.get("lat"), "lon": task.get("lon")},
        "task": {"id": task["id"], "version": task["version"], "status": task["status"]},
        "near": list(near) if near else None,
    }
    return request.app.state.templates.render(
        request,
        "officer/task.html",
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
        task=_shown(task, t, now=datetime.now(UTC), near=near),
        photos=await _before_photos(request, context, state, staff, complaint_id),
        near=near,
        page=page,
        notice=notice,
        error=error,
        note=note,
    )


@router.get("/{complaint_id}")
async def task_page(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: Officer,
    near: Near,
    pesan: str | None = None,
) -> Response:
    t = translator(context, state)
    notice = t(f"officer.notice_{pesan}") if pesan in NOTICES else None
    return await _task_page(request, context, state, staff, complaint_id, near=near, notice=notice)


@router.get("/{complaint_id}/foto/{photo_id}")
async def before_photo(
    complaint_id: UUID, photo_id: UUID, request: Request, context: Context, state: State, staff: Officer
) -> Response:
    """One of the task's photos, fetched from status as this officer (status answers 404 for a
    complaint not assigned to them)."""
    photo = await context.upstreams.status.request(
        "GET",
        f"/v1/staff/complaints/{complaint_id}/photos/{photo_id}",
        call_for(request, state, token=staff.access_token),
    )
    return Response(photo.content, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


def _refusal(refused: UpstreamRefused) -> str:
    """Status's own words (already in the page's language), with the first field it named."""
    errors = refused.problem.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], dict) else None
    if first and first.get("message") and refused.status == 422:
        return f"{refused.message} ({first['message']})"
    return refused.message


async def _transition(
    request: Request, context: WebContext, state: WebState, staff: StaffSession, complaint_id: UUID, body: dict
) -> None:
    await context.upstreams.status.post_json(
        f"/v1/complaints/{complaint_id}/transitions", call_for(request, state, token=staff.access_token), json=body
    )


Version = Annotated[int, Form(ge=0, le=2**31 - 1)]


def _back_to(complaint_id: UUID, notice: str, near: tuple[float, float] | None) -> RedirectResponse:
    """The task page again, with a notice and the officer's position (for the distance)."""
    query = {"pesan": notice, **({"lat": near[0], "lon": near[1]} if near else {})}
    return RedirectResponse(f"/tugas/{complaint_id}?{urlencode(query)}", status_code=303)


@router.post("/{complaint_id}/mulai")
async def start(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: Officer,
    expected_version: Version,
    near: FormNear,
) -> Response:
    try:
        await _transition(
            request, context, state, staff, complaint_id, {"to": "dalam_proses", "expected_version": expected_version}
        )
    except UpstreamRefused as refused:
        if refused.status == 404:
            raise
        return await _task_page(
            request, context, state, staff, complaint_id, near=near, error=_refusal(refused), status_code=refused.status
        )
    return _back_to(complaint_id, "mulai", near)


@router.post("/{complaint_id}/selesai")
async def finish(
    complaint_id: UUID,
    request: Request,
    context: Context,
    state: State,
    staff: Officer,
    expected_version: Version,
    near: FormNear,
    resolution_note: Annotated[str, Form(max_length=4000)] = "",
    after_photo_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    t = translator(context, state)
    note = resolution_note.strip()
    problem = None
    if len(note) < 5:
        problem = t("officer.need_note")
    else:
        try:
            photo_id = UUID(after_photo_id.strip())
        except ValueError:
            problem = t("officer.need_photo")
    if problem is not None:
        return await _task_page(
            request, context, state, staff, complaint_id, near=near, error=problem, note=resolution_note, status_code=422
        )
    try:
        await _transition(
            request,
            context,
            state,
            staff,
            complaint_id,
            {
                "to": "selesai",
                "expected_version": expected_version,
                "resolution_note": note,
                "after_photo_ids": [str(photo_id)],
            },
        )
    except UpstreamRefused as refused:
        if refused.status == 404:
            raise
        return await _task_page(
            request,
            context,
            state,
            staff,
            complaint_id,
            near=near,
            error=_refusal(refused),
            note=resolution_note,
            status_code=refused.status,
        )
    return _back_to(complaint_id, "selesai", near)
