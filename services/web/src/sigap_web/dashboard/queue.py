"""The queue (`/dasbor`, the staff home): status's department queue with its filters, search,
keyset paging, working-day countdowns and CSV export. A department admin sees their own
department only; the city admin and auditors see every department and may pick one. The rows
are also served alone (`/api/dasbor/antrean`) for the page's live updates."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sigap_web.clients import UpstreamRefused, UpstreamUnavailable
from sigap_web.context import Context, State, translator
from sigap_web.dashboard.common import (
    CITY_WIDE_ROLES,
    NO_STORE,
    DashboardStaff,
    escalation_step_words,
    progress_words,
    staff_call,
)
from sigap_web.session import StaffSession

router = APIRouter(include_in_schema=False)

STATUSES = ("diterima", "terverifikasi", "dalam_proses", "selesai", "dibuka_kembali", "ditolak")
SLA_STATES = ("breached", "due_soon", "on_track", "paused", "none")
SORTS = ("oldest", "newest", "sla_deadline")
PAGE_SIZE = 25

# What the filter form sends; anything longer is refused by the form itself and by status.
Short = Annotated[str, Query(max_length=64)]


class QueueFilters:
    """The queue's filters as the page's form sends them (empty fields mean "any")."""

    def __init__(
        self,
        status: Short = "",
        category: Short = "",
        kelurahan: Short = "",
        sla_state: Short = "",
        q: Annotated[str, Query(max_length=200)] = "",
        department: Annotated[str, Query(max_length=32)] = "",
        sort: Short = "oldest",
        cursor: Annotated[str, Query(max_length=512)] = "",
        per_page: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
    ) -> None:
        self.status = status.strip()
        self.category = category.strip()
        self.kelurahan = kelurahan.strip()
        self.sla_state = sla_state.strip()
        self.q = q.strip()
        self.department = department.strip().upper()
        self.sort = sort.strip() or "oldest"
        self.cursor = cursor.strip()
        self.per_page = per_page

    def chosen(self) -> dict[str, str]:
        """The filters in force (no cursor): what the next page, the CSV and the live refresh keep."""
        values = {
            "status": self.status,
            "category": self.category,
            "kelurahan": self.kelurahan,
            "sla_state": self.sla_state,
            "q": self.q,
            "department": self.department,
            "sort": self.sort if self.sort != "oldest" else "",
            "per_page": str(self.per_page) if self.per_page != PAGE_SIZE else "",
        }
        return {name: value for name, value in values.items() if value}

    def upstream_params(self) -> dict[str, str]:
        params = {**self.chosen(), "sort": self.sort, "limit": str(self.per_page)}
        params.pop("per_page", None)
        # A department's staff asking for another department get status's own refusal (403).
        if self.cursor:
            params["cursor"] = self.cursor
        return params


_places: dict[str, list[tuple[str, list[str]]]] = {}
# The taxonomy's categories (routing): kept a few minutes, since the city can edit them.
CATEGORY_TTL_S = 300
_categories: dict[str, Any] = {"loaded_at": float("-inf"), "items": []}


async def category_choices(context, call) -> list[dict[str, Any]]:
    """Every category by code, name and department; [] while routing cannot say."""
    if time.monotonic() - _categories["loaded_at"] > CATEGORY_TTL_S:
        try:
            items = await context.upstreams.routing.get_json("/v1/routing/categories", call)
        except (UpstreamRefused, UpstreamUnavailable):
            return _categories["items"]
        _categories.update(loaded_at=time.monotonic(), items=sorted(items, key=lambda item: item["name"]))
    return _categories["items"]


async def kelurahan_choices(context, call) -> list[tuple[str, list[str]]]:
    """The city's kelurahan names by kecamatan, from the map's boundaries (routing's data set,
    the names status files complaints under); read once per version of the boundaries."""
    boundaries = context.boundaries
    try:
        await boundaries.load(call)
    except (UpstreamRefused, UpstreamUnavailable):
        return []
    if boundaries.etag not in _places:
        by_kecamatan: dict[str, set[str]] = {}
        for feature in json.loads(boundaries.body).get("features", []):
            properties = feature.get("properties") or {}
            if properties.get("name"):
                by_kecamatan.setdefault(properties.get("kecamatan") or "-", set()).add(properties["name"])
        _places.clear()
        _places[boundaries.etag] = [(kecamatan, sorted(names)) for kecamatan, names in sorted(by_kecamatan.items())]
    return _places[boundaries.etag]


def _rows(t, page: dict[str, Any], departments: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for item in page["items"]:
        rows.append(
            {
                **item,
                **progress_words(t, item),
                "department_name": departments.get(item.get("department") or "", item.get("department") or "-"),
                # The highest ladder step the running breach climbed (a status without
                # escalation figures sends none).
                "escalated_to": escalation_step_words(t, steps[-1]) if (steps := item.get("escalation_steps")) else None,
            }
        )
    return rows


async def _load(request: Request, context, state, staff: StaffSession, filters: QueueFilters) -> dict[str, Any]:
    """The page of the queue, or the problem status answered (a bad filter, a foreign department)."""
    t = translator(context, state)
    call = staff_call(request, state, staff)
    departments = await context.departments.names(call)
    try:
        page = await context.upstreams.status.get_json(
            "/v1/staff/queue", call, params=filters.upstream_params()
        )
    except UpstreamRefused as refused:
        if refused.status not in (400, 403, 404, 422):
            raise
        return {"rows": [], "next": None, "error": refused.message or t("dash.queue.refused"), "status": refused.status}
    chosen = filters.chosen()
    next_link = None
    if page.get("next_cursor"):
        next_link = "/dasbor?" + urlencode({**chosen, "cursor": page["next_cursor"]})
    return {"rows": _rows(t, page, departments), "next": next_link, "error": None, "status": 200}


@router.get("/dasbor")
async def queue_page(
    request: Request, context: Context, state: State, staff: DashboardStaff, filters: Annotated[QueueFilters, Depends()]
) -> Response:
    t = translator(context, state)
    loaded = await _load(request, context, state, staff, filters)
    call = staff_call(request, state, staff)
    departments = await context.departments.names(call)
    places = await kelurahan_choices(context, call)
    categories = await category_choices(context, call)
    # A department's own categories first: its queue is mostly those.
    own = [c for c in categories if staff.department and c.get("department") == staff.department]
    others = [c for c in categories if c not in own]
    chosen = filters.chosen()
    page = {
        "stream": "/api/dasbor/stream" + (f"?department={filters.department}" if filters.department else ""),
        "rows": "/api/dasbor/antrean?" + urlencode(chosen),
        "live": not filters.cursor,
        "strings": t.prefixed("dash.js."),
    }
    return request.app.state.templates.render(
        request,
        "dashboard/queue.html",
        status_code=loaded["status"],
        headers=NO_STORE,
        filters=filters,
        statuses=STATUSES,
        sla_states=SLA_STATES,
        sorts=SORTS,
        departments=sorted(departments.items(), key=lambda item: item[1]),
        places=places,
        categories_known=bool(categories),
        category_groups=[(t("dash.queue.own_categories"), own), (t("dash.queue.other_categories"), others)]
        if own
        else [("", others)],
        city_wide=staff.role in CITY_WIDE_ROLES,
        csv_link="/dasbor/antrean.csv" + (f"?{urlencode(chosen)}" if chosen else ""),
        first_link="/dasbor" + (f"?{urlencode(chosen)}" if chosen else ""),
        page=page,
        **loaded,
    )


@router.get("/api/dasbor/antrean")
async def queue_rows(
    request: Request, context: Context, state: State, staff: DashboardStaff, filters: Annotated[QueueFilters, Depends()]
) -> Response:
    """The first page's rows alone (HTML), which the page swaps in when the stream says the
    queue changed."""
    filters.cursor = ""
    loaded = await _load(request, context, state, staff, filters)
    return request.app.state.templates.render(
        request, "dashboard/queue_rows.html", status_code=loaded["status"], headers=NO_STORE, partial=True, **loaded
    )


@router.get("/dasbor/antrean.csv")
async def queue_csv(
    request: Request, context: Context, state: State, staff: DashboardStaff, filters: Annotated[QueueFilters, Depends()]
) -> Response:
    filters.cursor = ""
    params = filters.upstream_params()
    params.pop("limit", None)
    upstream = await context.upstreams.status.request(
        "GET", "/v1/staff/queue.csv", staff_call(request, state, staff), params=params
    )
    return Response(
        upstream.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": upstream.headers.get(
                "content-disposition", 'attachment; filename="antrean-pengaduan.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )
