"""Pure shaping of status's figures for the pages: counts per kelurahan on the map's outlines,
per-department performance, status mix and the series the charts draw. No I/O."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("diterima", "terverifikasi", "dalam_proses", "selesai", "ditolak", "dibuka_kembali")


@dataclass(frozen=True, slots=True)
class Kelurahan:
    code: str
    name: str
    kecamatan: str
    lat: float
    lon: float


def kelurahan_outlines(geojson: bytes) -> list[Kelurahan]:
    """The kelurahan of the map's base layer, each with the middle of its bounding box (enough
    to tell apart two kelurahan of the same name, which lie kilometres apart)."""
    outlines = []
    for feature in json.loads(geojson).get("features", []):
        properties = feature.get("properties") or {}
        points = list(_points(feature.get("geometry", {}).get("coordinates", [])))
        if not points or not properties.get("code"):
            continue
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        outlines.append(
            Kelurahan(
                code=str(properties["code"]),
                name=str(properties.get("name", "")),
                kecamatan=str(properties.get("kecamatan", "")),
                lat=(min(lats) + max(lats)) / 2,
                lon=(min(lons) + max(lons)) / 2,
            )
        )
    return outlines


def _points(coordinates: Any) -> Iterable[tuple[float, float]]:
    if len(coordinates) >= 2 and all(isinstance(value, (int, float)) for value in coordinates[:2]):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for part in coordinates:
        yield from _points(part)


@dataclass
class AreaCounts:
    """Complaints per kelurahan code and status, and those no kelurahan of the map holds."""

    by_code: dict[str, dict[str, int]] = field(default_factory=dict)
    unplaced: dict[str, int] = field(default_factory=dict)

    def total(self, code: str) -> int:
        return sum(self.by_code.get(code, {}).values())

    @property
    def unplaced_total(self) -> int:
        return sum(self.unplaced.values())


def place_cells(cells: Iterable[Mapping[str, Any]], outlines: list[Kelurahan]) -> AreaCounts:
    """Status counts per kelurahan name and ~2 km cell; each cell goes to the kelurahan of that
    name (the nearest one when two share the name)."""
    by_name: dict[str, list[Kelurahan]] = defaultdict(list)
    for kelurahan in outlines:
        by_name[kelurahan.name.casefold()].append(kelurahan)
    counts = AreaCounts()
    for cell in cells:
        candidates = by_name.get(str(cell.get("kelurahan") or "").casefold(), [])
        status, count = str(cell["status"]), int(cell["count"])
        if not candidates:
            counts.unplaced[status] = counts.unplaced.get(status, 0) + count
            continue
        lat, lon = cell.get("lat"), cell.get("lon")
        chosen = candidates[0]
        if len(candidates) > 1 and lat is not None and lon is not None:
            chosen = min(candidates, key=lambda k: math.hypot(k.lat - lat, k.lon - lon))
        statuses = counts.by_code.setdefault(chosen.code, {})
        statuses[status] = statuses.get(status, 0) + count
    return counts


def area_rows(counts: AreaCounts, outlines: list[Kelurahan]) -> list[dict[str, Any]]:
    """One row per kelurahan with complaints, most first (the map's text alternative)."""
    rows = [
        {
            "code": k.code,
            "name": k.name,
            "kecamatan": k.kecamatan,
            "total": counts.total(k.code),
            "statuses": counts.by_code[k.code],
        }
        for k in outlines
        if counts.total(k.code)
    ]
    return sorted(rows, key=lambda row: (-row["total"], row["name"], row["kecamatan"]))


@dataclass(frozen=True, slots=True)
class DepartmentPerformance:
    department: str
    received: int
    within_sla: int
    finished: int
    median_days_to_finish: float | None
    breaches: int = 0  # deadlines missed (verify and finish count apart)
    escalations: int = 0  # escalation ladder steps told
    median_days_overdue: float | None = None

    @property
    def sla_rate(self) -> float | None:
        return self.within_sla / self.received if self.received else None


def performance(
    durations: Iterable[Mapping[str, Any]],
    compliance: Iterable[Mapping[str, Any]],
    escalation: Iterable[Mapping[str, Any]] = (),
) -> list[DepartmentPerformance]:
    """Per department: complaints received in the period, how many stayed within their SLA,
    how many were finished and the median days from receipt to `selesai`, deadlines missed
    with the median days overdue, and escalations; most received first."""
    received: dict[str, int] = defaultdict(int)
    within: dict[str, int] = defaultdict(int)
    for month in compliance:
        received[month["department"]] += int(month["received"])
        within[month["department"]] += int(month["within_sla"])
    finished = {row["department"]: row for row in durations}
    escalated = {row["department"]: row for row in escalation}
    departments = set(received) | set(finished) | set(escalated)
    rows = [
        DepartmentPerformance(
            department=department,
            received=received.get(department, 0),
            within_sla=within.get(department, 0),
            finished=int(finished[department]["finished"]) if department in finished else 0,
            median_days_to_finish=(
                round(finished[department]["finish_p50_hours"] / 24, 1)
                if department in finished and finished[department].get("finish_p50_hours") is not None
                else None
            ),
            breaches=int(escalated.get(department, {}).get("breaches", 0)),
            escalations=int(escalated.get(department, {}).get("escalations", 0)),
            median_days_overdue=escalated.get(department, {}).get("median_days_overdue"),
        )
        for department in departments
        if department
    ]
    return sorted(rows, key=lambda row: (-row.received, row.department))


def status_mix(counts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Complaints per status, in the lifecycle's order (statuses with none left out)."""
    totals: dict[str, int] = defaultdict(int)
    for row in counts:
        totals[str(row["status"])] += int(row["count"])
    ordered = [status for status in STATUSES if totals.get(status)]
    ordered += sorted(status for status in totals if status not in STATUSES and totals[status])
    return {status: totals[status] for status in ordered}


@dataclass(frozen=True, slots=True)
class DepartmentEscalation:
    """One department's escalation figures: deadlines missed, ladder steps told (in all and per
    step name) and the median days a missed deadline was overdue."""

    department: str
    breaches: int
    escalations: int
    escalated_complaints: int
    median_days_overdue: float | None
    per_step: dict[str, int]


def escalation(rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[DepartmentEscalation]]:
    """The ladder steps any department climbed (lowest first: the order a ladder climbs them)
    and each department's figures, most breaches first. Rows from a status without per-step
    figures count no step."""
    order: dict[str, int] = {}
    departments = []
    for row in rows:
        if not row.get("department"):
            continue
        per_step: dict[str, int] = {}
        for step in row.get("steps") or ():
            name = str(step["step"])
            per_step[name] = per_step.get(name, 0) + int(step.get("escalations", 0))
            order[name] = min(order.get(name, int(step.get("step_number", 99))), int(step.get("step_number", 99)))
        departments.append(
            DepartmentEscalation(
                department=str(row["department"]),
                breaches=int(row.get("breaches", 0)),
                escalations=int(row.get("escalations", 0)),
                escalated_complaints=int(row.get("escalated_complaints", 0)),
                median_days_overdue=row.get("median_days_overdue"),
                per_step=per_step,
            )
        )
    steps = sorted(order, key=lambda name: (order[name], name))
    return steps, sorted(departments, key=lambda row: (-row.breaches, -row.escalations, row.department))
