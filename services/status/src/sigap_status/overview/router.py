"""The overview's HTTP API: `GET /v1/public/kelurahan` (anyone: publicly listed complaints per
kelurahan and status over the last year, the transparency map; computed at most once per
`PUBLIC_MAP_TTL_S` per process, since anyone may ask and the count reads a year of complaints:
about a second at a million complaints, see benchmarks/status/overview.py) and `GET /v1/staff/overview` (staff: complaints
per day and open complaints per kelurahan, narrowed to the caller's department by the same
rule as the queue and the statistics)."""

from __future__ import annotations

import asyncio
import time as clock
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter
from pydantic import BaseModel

from sigap_shared.runtime import Conn
from sigap_status.overview import queries
from sigap_status.sla.rules import WIB
from sigap_status.statistics.scope import StaffFigureScope

PUBLIC_MAP_TTL_S = 20.0
PUBLIC_MAP_DAYS = 365


class Cell(BaseModel):
    """Complaints of one status in one kelurahan (by name) and one ~2 km cell; `kelurahan`,
    `lat` and `lon` are null for complaints routing could not place on the map."""

    kelurahan: str | None
    lat: float | None
    lon: float | None
    status: str
    count: int


class PublicKelurahanOut(BaseModel):
    since: date
    until: date
    cell_degrees: float
    cells: list[Cell]


class DayOut(BaseModel):
    day: date
    received: int
    finished: int


class StaffOverviewOut(BaseModel):
    since: date
    until: date
    department: str | None
    cell_degrees: float
    per_day: list[DayOut]
    open_cells: list[Cell]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=WIB)


def _cells(rows) -> list[Cell]:
    return [
        Cell(
            kelurahan=row["kelurahan"],
            lat=queries.cell_centre(row["lat_cell"]),
            lon=queries.cell_centre(row["lon_cell"]),
            status=row["status"],
            count=row["count"],
        )
        for row in rows
    ]


class _PublicMap:
    """The public map's answer, shared by every caller for `PUBLIC_MAP_TTL_S`; one query at a
    time fills it (the others wait for that answer instead of running their own)."""

    def __init__(self) -> None:
        self._answer: PublicKelurahanOut | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, conn) -> PublicKelurahanOut:
        async with self._lock:
            if clock.monotonic() - self._at >= PUBLIC_MAP_TTL_S or self._answer is None:
                until = datetime.now(WIB).date() + timedelta(days=1)
                since = until - timedelta(days=PUBLIC_MAP_DAYS)
                rows = await queries.public_cells(conn=conn, since=_start_of(since), until=_start_of(until))
                self._answer = PublicKelurahanOut(
                    since=since, until=until, cell_degrees=queries.CELL_DEGREES, cells=_cells(rows)
                )
                self._at = clock.monotonic()
            return self._answer


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    public_map = _PublicMap()

    @router.get(
        "/public/kelurahan",
        response_model=PublicKelurahanOut,
        tags=["public"],
        summary="Publicly listed complaints per kelurahan and status (the transparency map): counts only, of "
        f"complaints whose reporter chose 'publik' and to be listed, submitted in the last {PUBLIC_MAP_DAYS} days "
        f"(refreshed every {PUBLIC_MAP_TTL_S:.0f} s)",
    )
    async def get_public_kelurahan(conn: Conn) -> PublicKelurahanOut:
        return await public_map.get(conn)

    @router.get(
        "/staff/overview",
        response_model=StaffOverviewOut,
        tags=["staff"],
        summary="Complaints received and finished per day (WIB) in [since, until), and open complaints per "
        "kelurahan now; a department's staff get their own department's",
    )
    async def get_staff_overview(scope: StaffFigureScope, conn: Conn) -> StaffOverviewOut:
        days = await queries.per_day(
            conn=conn, department=scope.department, since=_start_of(scope.since), until=_start_of(scope.until)
        )
        cells = await queries.open_cells(conn=conn, department=scope.department)
        return StaffOverviewOut(
            since=scope.since,
            until=scope.until,
            department=scope.department,
            cell_degrees=queries.CELL_DEGREES,
            per_day=[DayOut(day=row["day"], received=row["received"], finished=row["finished"]) for row in days],
            open_cells=_cells(cells),
        )

    return router
