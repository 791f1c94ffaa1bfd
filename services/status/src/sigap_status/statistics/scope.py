"""What a staff member's figures cover: the period asked for and the department they may see
(a department's staff get their own department's). One dependency for every staff figure
route, so the statistics and the overview narrow by the same rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from sigap_shared.storable import SaneDate
from sigap_status.auth.dependencies import Staff
from sigap_status.complaints.visibility import visible_department
from sigap_status.statistics.rules import period


@dataclass(frozen=True, slots=True)
class FigureScope:
    department: str | None  # None: every department (city-wide roles only)
    since: date
    until: date  # exclusive


def staff_figure_scope(
    staff: Staff,
    since: SaneDate | None = None,
    until: SaneDate | None = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> FigureScope:
    department = visible_department(staff, department)
    since, until = period(since, until)
    return FigureScope(department=department, since=since, until=until)


StaffFigureScope = Annotated[FigureScope, Depends(staff_figure_scope)]
