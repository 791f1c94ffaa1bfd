"""Working-day deadlines across weekends, Indonesian public holidays and city days off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sigap_status.sla.rules import WIB, SlaPolicy, WorkingCalendar, sla_state


def wib(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


def end_of(y, m, d):
    """The first instant after that WIB day, in UTC."""
    return (datetime(y, m, d, tzinfo=WIB) + timedelta(days=1)).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (wib(2026, 11, 23), 3, end_of(2026, 11, 26)),  # Mon + 3 -> Thu
        (wib(2026, 11, 26), 3, end_of(2026, 12, 1)),  # Thu + 3 -> Fri, Mon, Tue
        (wib(2026, 11, 28), 3, end_of(2026, 12, 2)),  # Saturday: counts Mon, Tue, Wed
        (wib(2026, 11, 27, 23, 30), 1, end_of(2026, 11, 30)),  # late Friday -> Monday
        (wib(2026, 8, 14), 3, end_of(2026, 8, 20)),  # Fri; Mon 17 Aug is Independence Day
        (wib(2026, 12, 21), 5, end_of(2026, 12, 30)),  # cuti bersama Thu 24 Dec, Christmas Fri 25 Dec
        (wib(2026, 3, 16), 1, end_of(2026, 3, 17)),  # Mon -> Tue 17 Mar, the last working day before Nyepi
        (wib(2026, 5, 26), 5, end_of(2026, 6, 5)),  # Idul Adha 27 May, cuti bersama 28 May, Pancasila 1 Jun
    ],
)
def test_working_day_deadlines(start, days, deadline):
    assert WorkingCalendar().add_working_days(start, days) == deadline


def test_cuti_bersama_are_days_off():
    # Offices close on the joint leave days around Nyepi and Idul Fitri 2026 (18, 20, 23 and
    # 24 March) as on the holidays themselves (19, 21, 22 March): three working days after
    # Tuesday 17 March end on Friday 27 March, not on Monday 23 March.
    calendar = WorkingCalendar()
    assert calendar.add_working_days(wib(2026, 3, 17), 3) == end_of(2026, 3, 27)
    for day in (18, 20, 23, 24):
        assert not calendar.is_working_day(date(2026, 3, day))
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert calendar.is_working_day(date(2026, 3, 25))


def test_utc_start_is_counted_in_local_time():
    # 18:00 UTC on Friday is already Saturday 01:00 in Depok.
    start = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert WorkingCalendar().add_working_days(start, 1) == end_of(2026, 11, 30)


def test_city_days_off_are_skipped():
    calendar = WorkingCalendar(extra_days_off=frozenset({date(2026, 11, 24), date(2026, 11, 25)}))
    assert calendar.add_working_days(wib(2026, 11, 23), 3) == end_of(2026, 11, 30)
    assert not calendar.is_working_day(date(2026, 11, 24))
    assert WorkingCalendar().is_working_day(date(2026, 11, 24))


def test_policy_per_category_and_stage():
    policy = SlaPolicy(per_category={"banjir": (1, 2)})
    start = wib(2026, 11, 23)
    assert policy.deadline(status="diterima", category="jalan_rusak", since=start) == ("verify", end_of(2026, 11, 26))
    assert policy.deadline(status="terverifikasi", category="jalan_rusak", since=start) == ("finish", end_of(2026, 11, 30))
    assert policy.deadline(status="diterima", category="banjir", since=start) == ("verify", end_of(2026, 11, 24))
    assert policy.deadline(status="dalam_proses", category="banjir", since=start) == ("finish", end_of(2026, 11, 25))
    for status in ("selesai", "ditolak"):
        assert policy.deadline(status=status, category="banjir", since=start) == (None, None)


def test_sla_states():
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert sla_state(due_at=None, now=now) == "none"
    assert sla_state(due_at=now, now=now) == "breached"
    assert sla_state(due_at=now + timedelta(hours=5), now=now) == "due_soon"
    assert sla_state(due_at=now + timedelta(days=2), now=now) == "on_track"


def test_a_pause_pushes_the_deadline_back_by_the_working_days_it_lasted():
    calendar = WorkingCalendar()
    due = end_of(2026, 11, 26)  # Thursday
    # Paused Tuesday, resumed the next Monday: Wed, Thu, Fri, Mon = 4 working days.
    assert calendar.working_days_between(wib(2026, 11, 24), wib(2026, 11, 30)) == 4
    assert calendar.resume(due_at=due, paused_at=wib(2026, 11, 24), resumed_at=wib(2026, 11, 30)) == end_of(2026, 12, 2)
    # Paused and resumed the same day, or over a weekend only: no change.
    assert calendar.resume(due_at=due, paused_at=wib(2026, 11, 24, 9), resumed_at=wib(2026, 11, 24, 15)) == due
    assert calendar.resume(due_at=due, paused_at=wib(2026, 11, 27, 20), resumed_at=wib(2026, 11, 29, 20)) == due
    # Over Independence Day (Mon 17 Aug 2026): Fri 14 -> Tue 18 counts only Tue.
    assert calendar.working_days_between(wib(2026, 8, 14), wib(2026, 8, 18)) == 1


def test_paused_deadline_state():
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert sla_state(due_at=now - timedelta(days=1), now=now, paused=True) == "paused"


def test_policy_from_settings_counts_cuti_bersama_unless_the_city_opts_out(monkeypatch):
    from sigap_status.context import sla_policy_from_settings
    from sigap_status.settings import StatusSettings

    by_default = sla_policy_from_settings(StatusSettings(environment="test"))
    assert by_default.calendar.add_working_days(wib(2026, 3, 17), 3) == end_of(2026, 3, 27)
    monkeypatch.setenv("SIGAP_SLA_HOLIDAY_CATEGORIES", "public")
    monkeypatch.setenv("SIGAP_SLA_EXTRA_DAYS_OFF", "2026-03-18")
    public_only = sla_policy_from_settings(StatusSettings(environment="test"))
    # 18 March is the city's own day off; 20 and 23 March count again.
    assert public_only.calendar.add_working_days(wib(2026, 3, 17), 3) == end_of(2026, 3, 24)
