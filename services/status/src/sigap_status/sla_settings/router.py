"""`GET /v1/staff/sla-settings`: the working-day targets and days off the status service counts
deadlines with, as configured (SIGAP_SLA_*). Read-only over HTTP: changing them means changing
the settings and restarting status, which this answer says in the caller's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import holidays
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from sigap_shared.problems import Text, preferred_language
from sigap_status.auth.dependencies import Staff
from sigap_status.context import Policy
from sigap_status.sla.rules import WIB

router = APIRouter(prefix="/v1", tags=["staff"])

HOW_TO_CHANGE = Text(
    "Target SLA dan hari libur adalah pengaturan layanan status: SIGAP_SLA_VERIFY_DAYS, SIGAP_SLA_FINISH_DAYS, "
    "SIGAP_SLA_CATEGORY_DAYS (mis. lampu_jalan:2:4,jalan_rusak:3:10), SIGAP_SLA_HOLIDAY_CATEGORIES dan "
    "SIGAP_SLA_EXTRA_DAYS_OFF (tanggal ISO, dipisah koma). Ubah nilainya lalu mulai ulang layanan status; "
    "tenggat yang sudah berjalan tidak berubah.",
    "SLA targets and days off are settings of the status service: SIGAP_SLA_VERIFY_DAYS, SIGAP_SLA_FINISH_DAYS, "
    "SIGAP_SLA_CATEGORY_DAYS (e.g. lampu_jalan:2:4,jalan_rusak:3:10), SIGAP_SLA_HOLIDAY_CATEGORIES and "
    "SIGAP_SLA_EXTRA_DAYS_OFF (ISO dates, comma-separated). Change them and restart the status service; "
    "deadlines already running keep theirs.",
)


class CategoryTarget(BaseModel):
    category: str
    verify_days: int
    finish_days: int


class DayOff(BaseModel):
    date: date
    name: str
    source: Literal["national", "city"]


class SlaSettingsOut(BaseModel):
    verify_days: int = Field(description="Working days to verify a complaint, unless its category says otherwise.")
    finish_days: int = Field(description="Working days to finish it once verified, unless its category says otherwise.")
    per_category: list[CategoryTarget]
    holiday_categories: list[str] = Field(description="Which national days off count (holidays package categories).")
    days_off: list[DayOff] = Field(description="Days off in the year asked for: national (as configured) and the city's own.")
    year: int
    editable: bool = False
    how_to_change: str


@router.get(
    "/staff/sla-settings",
    summary="The working-day SLA targets and the days off status counts with (staff; read-only)",
)
async def sla_settings(
    staff: Staff,
    policy: Policy,
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> SlaSettingsOut:
    lang = preferred_language(request)
    year = year or datetime.now(WIB).year
    calendar = policy.calendar
    national = holidays.country_holidays(
        "ID", years=year, categories=calendar.holiday_categories, language="en_US" if lang == "en" else "id"
    )
    days_off = [DayOff(date=day, name=name, source="national") for day, name in national.items()]
    city_name = Text("Hari libur kota", "City day off").pick(lang)
    days_off += [
        DayOff(date=day, name=city_name, source="city")
        for day in calendar.extra_days_off
        if day.year == year and day not in national
    ]
    return SlaSettingsOut(
        verify_days=policy.verify_days,
        finish_days=policy.finish_days,
        per_category=[
            CategoryTarget(category=category, verify_days=verify, finish_days=finish)
            for category, (verify, finish) in sorted(policy.per_category.items())
        ],
        holiday_categories=list(calendar.holiday_categories),
        days_off=sorted(days_off, key=lambda d: d.date),
        year=year,
        how_to_change=HOW_TO_CHANGE.pick(lang),
    )
