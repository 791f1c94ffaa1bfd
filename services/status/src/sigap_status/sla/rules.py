"""Working-day service levels: deadlines counted in Indonesian working days (weekends, national
public holidays and the government's joint leave days (cuti bersama) from the `holidays`
package excluded, plus city-specific days off), in the city's local time (SIGAP_TIMEZONE; WIB
by default). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WIB = ZoneInfo("Asia/Jakarta")  # the default city zone
DEFAULT_VERIFY_DAYS = 3  # LAPOR! practice: verification within 3 working days
DEFAULT_FINISH_DAYS = 5  # and follow-up within 5 working days

# Which deadline runs in which state; other states have none.
STAGE_BY_STATUS: dict[str, str] = {
    "diterima": "verify",
    "terverifikasi": "finish",
    "dalam_proses": "finish",
    "dibuka_kembali": "finish",
}


# `holidays` files the public holidays under `public` and the cuti bersama, on which
# government offices close too, under `government`.
DEFAULT_HOLIDAY_CATEGORIES: tuple[str, ...] = ("public", "government")


@lru_cache(maxsize=64)
def _national_days_off(year: int, categories: tuple[str, ...]) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year, categories=categories).keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """Indonesian working days; `extra_days_off` are the city's own (e.g. the city's
    anniversary, or a joint leave day announced after the `holidays` release in use). Days
    begin and end at midnight in `zone`, the city's time zone (SIGAP_TIMEZONE: WIB, WITA or WIT)."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    holiday_categories: tuple[str, ...] = DEFAULT_HOLIDAY_CATEGORIES
    zone: tzinfo = WIB

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in _national_days_off(day.year, self.holiday_categories)
            and day not in self.extra_days_off
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline for something that started at `start` and must be done within `days`
        working days: the end of the `days`-th working day after the start's local day
        (returned as the first instant after it, in UTC). Starting on a day off counts from
        the next working day the same way."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day = start.astimezone(self.zone).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        end_local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.zone)
        return end_local.astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after `start`'s local day up to and including `end`'s."""
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        count = 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def resume(self, *, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """The deadline after a pause: pushed back by the working days the pause lasted."""
        paused_days = self.working_days_between(paused_at, resumed_at)
        if paused_days == 0:
            return due_at
        # `due_at` is the first instant after the deadline's last day; count on from that day.
        return self.add_working_days(due_at - timedelta(microseconds=1), paused_days)


@dataclass(frozen=True)
class SlaPolicy:
    """Per-category working days to verify and to finish, with national defaults."""

    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    verify_days: int = DEFAULT_VERIFY_DAYS
    finish_days: int = DEFAULT_FINISH_DAYS
    per_category: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def days_for(self, *, category: str | None, stage: str) -> int:
        verify, finish = self.per_category.get(category or "", (self.verify_days, self.finish_days))
        return verify if stage == "verify" else finish

    def deadline(self, *, status: str | None, category: str | None, since: datetime) -> tuple[str | None, datetime | None]:
        """The stage and deadline that run once a complaint enters `status` at `since`."""
        stage = STAGE_BY_STATUS.get(status or "")
        if stage is None:
            return None, None
        return stage, self.calendar.add_working_days(since, self.days_for(category=category, stage=stage))


def working_days_left(calendar: WorkingCalendar, *, due_at: datetime | None, now: datetime) -> int | None:
    """How many working days a running deadline leaves, as a countdown staff read: 0 when its
    last day is today, N when N working days follow today up to and including it, and -N
    when it passed N working days ago. None when no deadline runs."""
    if due_at is None:
        return None
    # `due_at` is the first instant after the deadline's last day.
    last_day = due_at - timedelta(microseconds=1)
    if last_day.astimezone(calendar.zone).date() >= now.astimezone(calendar.zone).date():
        return calendar.working_days_between(now, last_day)
    return -calendar.working_days_between(last_day, now)


def parse_extra_days(values: Iterable[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(value.strip()) for value in values if value.strip())


def sla_state(
    *, due_at: datetime | None, now: datetime, soon: timedelta = timedelta(days=1), paused: bool = False
) -> str:
    """`none` (no deadline running), `paused` (waiting for the reporter), `breached`,
    `due_soon` (within a day) or `on_track`."""
    if due_at is None:
        return "none"
    if paused:
        return "paused"
    if due_at <= now:
        return "breached"
    if due_at - now <= soon:
        return "due_soon"
    return "on_track"
