"""`/transparansi`, for anyone: a map and a list of public complaints by kelurahan and status,
and each department's performance as a table and bar charts; counts and codes only, never an
identity, a description or a staff name (status's public API gives nothing else, and only of
complaints whose reporter chose `publik` and to be listed). `/statistik`, for department
admins, city admins and auditors: complaints per day, status mix, SLA compliance, median time
to `selesai` and a map of open complaints; a department admin gets their own department's
figures (status narrows them; the page only shows what status answered)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sigap_web.clients import Call, UpstreamRefused, UpstreamUnavailable
from sigap_web.context import Context, State, WebContext, call_for, translator
from sigap_web.dashboard.common import escalation_step_words, status_words, when
from sigap_web.i18n import Translator
from sigap_web.session import StaffSession
from sigap_web.staff.auth import require_staff
from sigap_web.transparency import figures
from sigap_web.transparency.figures import STATUSES

WIB = timezone(timedelta(hours=7))
PUBLIC_PAGE_SIZE = 20
# Public figures change slowly; a visitor storm costs status one query per figure per interval.
PUBLIC_FIGURES_TTL_S = 10.0
# The page lists this many escalated complaints (status gives every department a turn) and
# counts the rest per department.
ESCALATED_NOW_SHOWN = 50
DEPOK_CENTER = [-6.4025, 106.7942]

StatisticsStaff = Annotated[StaffSession, Depends(require_staff("dept_admin", "city_admin", "auditor"))]
QueryText = Annotated[str, Query(max_length=64)]


class _Remembered:
    """Values fetched at most once per `ttl_s` each (one fetch at a time per key)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, fetch: Callable[[], Awaitable[Any]]) -> Any:
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._values.get(key)
            if hit is not None and time.monotonic() - hit[0] < self._ttl_s:
                return hit[1]
            value = await fetch()
            self._values[key] = (time.monotonic(), value)
            return value


def _number(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}" if digits else f"{value:,.0f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "id" else text


def _percent(rate: float | None, lang: str) -> str:
    return "–" if rate is None else _number(rate * 100, lang, 0) + "%"


def _day(value: str | None) -> str:
    return "" if not value else datetime.fromisoformat(value).astimezone(WIB).strftime("%d/%m/%Y")


def _date(value: str) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y")


def _category(code: str | None) -> str:
    return (code or "").replace("_", " ").capitalize()


def _map_config(context: WebContext, counts: figures.AreaCounts) -> dict[str, Any]:
    settings = context.settings
    return {
        "boundaries": "/api/map/kelurahan.geojson",
        "tiles": settings.web_tile_url,
        "tile_attribution": settings.web_tile_attribution,
        "center": DEPOK_CENTER,
        "counts": {code: sum(statuses.values()) for code, statuses in counts.by_code.items()},
    }


async def _outlines(context: WebContext, call: Call) -> list[figures.Kelurahan]:
    await context.boundaries.load(call)
    return figures.kelurahan_outlines(context.boundaries.body)


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    public_figures = _Remembered(PUBLIC_FIGURES_TTL_S)

    @router.get("/transparansi")
    async def transparency(
        request: Request,
        context: Context,
        state: State,
        kelurahan: QueryText = "",
        status: QueryText = "",
        cursor: Annotated[str, Query(max_length=512)] = "",
    ) -> Response:
        t = translator(context, state)
        call = call_for(request, state)
        status_client = context.upstreams.status
        error = None
        if status and status not in STATUSES:
            error, status = t("transparency.bad_status"), ""
        params = {"limit": str(PUBLIC_PAGE_SIZE)}
        params.update({k: v for k, v in (("kelurahan", kelurahan), ("status", status), ("cursor", cursor)) if v})

        async def complaints() -> dict[str, Any]:
            try:
                return await status_client.get_json("/v1/public/complaints", call, params=params)
            except UpstreamRefused as refused:
                if refused.status != 422:
                    raise
                nonlocal error
                error = refused.message
                return {"items": [], "next_cursor": None}

        cells, performance, page, names, outlines = await asyncio.gather(
            public_figures.get("cells", lambda: status_client.get_json("/v1/public/kelurahan", call)),
            public_figures.get(
                "performance", lambda: status_client.get_json("/v1/public/departments/performance", call)
            ),
            complaints(),
            context.departments.names(call),
            _outlines(context, call),
        )
        counts = figures.place_cells(cells["cells"], outlines)
        rows = figures.performance(
            performance["durations"], performance["sla_compliance"], performance.get("escalation", ())
        )
        items = [
            {
                **item,
                "category_label": _category(item.get("category")),
                "department_name": names.get(item.get("department") or "", item.get("department") or ""),
                "submitted": _day(item.get("submitted_at")),
                "resolved": _day(item.get("resolved_at")),
            }
            for item in page["items"]
        ]
        next_params = {**params, "cursor": page["next_cursor"]} if page.get("next_cursor") else None
        return request.app.state.templates.render(
            request,
            "transparency/public.html",
            status_code=422 if error else 200,
            page={"map": _map_config(context, counts), "strings": t.prefixed("transparency.js.")},
            areas=figures.area_rows(counts, outlines),
            unplaced=counts.unplaced_total,
            kelurahan_names=sorted({k.name for k in outlines}),
            statuses=STATUSES,
            chosen={"kelurahan": kelurahan, "status": status},
            items=items,
            next_params=next_params,
            error=error,
            performance=[
                {
                    "department": row.department,
                    "name": names.get(row.department, row.department),
                    "received": row.received,
                    "finished": row.finished,
                    "median_days": None
                    if row.median_days_to_finish is None
                    else _number(row.median_days_to_finish, state.lang),
                    "median_value": row.median_days_to_finish,
                    "sla": _percent(row.sla_rate, state.lang),
                    "sla_value": row.sla_rate,
                    "breaches": row.breaches,
                    "overdue_days": None
                    if row.median_days_overdue is None
                    else _number(row.median_days_overdue, state.lang),
                    "escalations": row.escalations,
                }
                for row in rows
            ],
            max_median=max((row.median_days_to_finish or 0 for row in rows), default=0) or 1,
            period=(_date(performance["since"]), _date(performance["until"])),
            map_since=_date(cells["since"]),
        )

    @router.get("/statistik")
    async def statistics(
        request: Request,
        context: Context,
        state: State,
        staff: StatisticsStaff,
        since: QueryText = "",
        until: QueryText = "",
        department: Annotated[str, Query(max_length=32)] = "",
    ) -> Response:
        t = translator(context, state)
        call = call_for(request, state, token=staff.access_token)
        params: dict[str, str] = {}
        error = None
        for name, value in (("since", since), ("until", until)):
            if value:
                try:
                    params[name] = date.fromisoformat(value).isoformat()
                except ValueError:
                    error = t("statistics.bad_date", value=value)
        if department:
            params["department"] = department
        if error:
            return request.app.state.templates.render(
                request, "error.html", status_code=422, title=t("statistics.title"), detail=error, status=422
            )
        stats, overview, names, outlines, escalated = await asyncio.gather(
            context.upstreams.status.get_json("/v1/staff/statistics", call, params=params),
            context.upstreams.status.get_json("/v1/staff/overview", call, params=params),
            context.departments.names(call),
            _outlines(context, call),
            _escalated_now(context, call, department=department),
        )
        lang = state.lang
        rows = figures.performance(stats["durations"], stats["sla_compliance"])
        mix = figures.status_mix(stats["counts"])
        open_counts = figures.place_cells(overview["open_cells"], outlines)
        per_day = _daily_series(overview["per_day"], since=overview["since"], until=overview["until"])
        sla_rows = [row for row in rows if row.sla_rate is not None]
        median_rows = [row for row in rows if row.median_days_to_finish is not None]
        page = {
            "lang": lang,
            "strings": t.prefixed("statistics.js."),
            "per_day": per_day,
            "status_mix": {"labels": [t(f"status.{s}") for s in mix], "values": list(mix.values())},
            "sla": {"labels": [r.department for r in sla_rows], "values": [round(r.sla_rate * 100, 1) for r in sla_rows]},
            "median": {"labels": [r.department for r in median_rows], "values": [r.median_days_to_finish for r in median_rows]},
            "map": _map_config(context, open_counts),
        }
        return request.app.state.templates.render(
            request,
            "transparency/statistics.html",
            page=page,
            scope=overview["department"],
            scope_name=names.get(overview["department"] or "", overview["department"] or ""),
            departments=sorted(names.items(), key=lambda item: item[1]) if staff.role != "dept_admin" else [],
            chosen={"since": since, "until": until, "department": department},
            period=(_date(overview["since"]), _date(overview["until"])),
            totals={
                "received": sum(r.received for r in rows),
                "finished": sum(r.finished for r in rows),
                "open": sum(open_counts.total(code) for code in open_counts.by_code) + open_counts.unplaced_total,
                "sla": _percent(
                    (sum(r.within_sla for r in rows) / total) if (total := sum(r.received for r in rows)) else None, lang
                ),
            },
            days=[
                {"day": day, "received": r, "finished": f}
                for day, r, f in zip(per_day["days"], per_day["received"], per_day["finished"], strict=True)
                if r or f
            ],
            mix=mix,
            performance=[
                {
                    "department": row.department,
                    "name": names.get(row.department, row.department),
                    "received": row.received,
                    "within_sla": row.within_sla,
                    "finished": row.finished,
                    "sla": _percent(row.sla_rate, lang),
                    "median_days": "–"
                    if row.median_days_to_finish is None
                    else _number(row.median_days_to_finish, lang),
                }
                for row in rows
            ],
            areas=figures.area_rows(open_counts, outlines),
            unplaced=open_counts.unplaced_total,
            escalation=_escalation_table(t, stats.get("escalation") or (), names, lang),
            escalated_now=None if escalated is None else escalated_now(t, escalated, names),
        )

    return router


async def _escalated_now(context: WebContext, call: Call, *, department: str) -> dict[str, Any] | None:
    """The complaints escalated now that the staff member may see (status narrows them), the
    first `ESCALATED_NOW_SHOWN` of them with the counts of all; None when status cannot say,
    and the page says so instead of failing."""
    params: dict[str, str | int] = {"limit": ESCALATED_NOW_SHOWN}
    if department:
        params["department"] = department
    try:
        return await context.upstreams.status.get_json("/v1/staff/escalations", call, params=params)
    except (UpstreamRefused, UpstreamUnavailable):
        return None


def escalated_now(t: Translator, answer: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The escalated-now list in words: the rows shown, grouped by department name (status's
    order, longest breached first, within each), how many there are in all, and per department."""
    rows = [_escalated_row(t, item, names) for item in answer.get("items") or ()]
    rows.sort(key=lambda row: row["department_name"])
    counts = [
        {
            "department": row.get("department") or "",
            "name": names.get(row.get("department") or "", row.get("department") or "-"),
            "complaints": int(row.get("complaints", 0)),
        }
        for row in answer.get("by_department") or ()
    ]
    return {
        "rows": rows,
        "shown": len(rows),
        "total": int(answer.get("total", len(rows))),
        "by_department": counts,
    }


def _escalation_table(
    t: Translator, rows: Any, names: dict[str, str], lang: str
) -> dict[str, Any]:
    steps, departments = figures.escalation(rows)
    return {
        "steps": [(step, escalation_step_words(t, step)) for step in steps],
        "rows": [
            {
                "department": row.department,
                "name": names.get(row.department, row.department),
                "breaches": row.breaches,
                "escalations": row.escalations,
                "per_step": [row.per_step.get(step, 0) for step in steps],
                "median_days_overdue": "–"
                if row.median_days_overdue is None
                else _number(row.median_days_overdue, lang),
            }
            for row in departments
        ],
    }


def _escalated_row(t: Translator, item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    department = item.get("department") or ""
    overdue = item.get("working_days_overdue")
    return {
        "id": item.get("id"),
        "tracking_code": item.get("tracking_code") or "-",
        "title": item.get("title") or "",
        "department": department,
        "department_name": names.get(department, department or "-"),
        "status": status_words(t, item.get("status")),
        "overdue": "–" if overdue is None else t("escalation.overdue_days", n=overdue),
        "told": [
            t("escalation.told", name=escalation_step_words(t, step.get("step")), when=when(step.get("escalated_at")))
            for step in item.get("steps") or ()
        ],
    }


def _daily_series(days: list[dict[str, Any]], *, since: str, until: str) -> dict[str, list]:
    """Every day of the period up to today (days without complaints count zero), so the chart
    draws time evenly."""
    by_day = {row["day"]: row for row in days}
    first = date.fromisoformat(since)
    last = min(date.fromisoformat(until) - timedelta(days=1), datetime.now(WIB).date())
    if by_day:
        last = max(last, date.fromisoformat(max(by_day)))
    series: dict[str, list] = {"days": [], "received": [], "finished": []}
    day = first
    while day <= last:
        row = by_day.get(day.isoformat(), {})
        series["days"].append(day.isoformat())
        series["received"].append(row.get("received", 0))
        series["finished"].append(row.get("finished", 0))
        day += timedelta(days=1)
    return series
