"""Escalation ladders: parsing the settings, the most specific ladder winning, and when each
step is due, counted in working days (weekends, holidays, cuti bersama, city days off)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sigap_status.escalation.rules import (
    DEFAULT_LADDER,
    EscalationPolicy,
    EscalationStep,
    due_steps,
    next_due_at,
    parse_ladder,
    parse_overrides,
    step_due_at,
    working_days_overdue,
)
from sigap_status.settings import StatusSettings
from sigap_status.sla.rules import WIB, WorkingCalendar


def wib(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


def end_of(y, m, d):
    """The first instant after that WIB day, in UTC."""
    return (datetime(y, m, d, tzinfo=WIB) + timedelta(days=1)).astimezone(UTC)


CALENDAR = WorkingCalendar()


def test_default_ladder_is_head_of_department_at_the_breach_then_the_city_three_working_days_later():
    assert parse_ladder(StatusSettings().escalation_ladder) == DEFAULT_LADDER
    assert DEFAULT_LADDER == (EscalationStep("head_of_department", 0), EscalationStep("city", 3))


@pytest.mark.parametrize(
    "text",
    ["kepala", "kepala:x", "Kepala:1", "kepala:-1", "kepala:0,kepala:2", "city:3,kepala:1", "a b:1"],
)
def test_bad_ladders_are_refused(text):
    with pytest.raises(ValueError):
        parse_ladder(text)
    with pytest.raises(ValueError):
        StatusSettings(escalation_ladder=text)


@pytest.mark.parametrize("text", ["DISHUB", "*=city:0", "=city:0", "DISHUB=city:0;DISHUB=city:1"])
def test_bad_overrides_are_refused(text):
    with pytest.raises(ValueError):
        parse_overrides(text)


def test_an_empty_ladder_never_escalates():
    assert parse_ladder("") == ()
    assert due_steps((), CALENDAR, breached_at=wib(2026, 11, 23), now=wib(2027, 1, 1), fired=()) == []
    assert next_due_at((), CALENDAR, breached_at=wib(2026, 11, 23), fired=()) is None


def test_the_most_specific_ladder_wins():
    policy = EscalationPolicy(
        overrides=parse_overrides(
            "DISHUB=head_of_department:0,city:1; DISHUB/lampu_jalan=city:0; */banjir=head_of_department:0,walikota:0"
        )
    )
    names = lambda ladder: [(s.name, s.after_days) for s in ladder]  # noqa: E731
    assert names(policy.ladder_for(department="DISHUB", category="lampu_jalan")) == [("city", 0)]
    assert names(policy.ladder_for(department="DISHUB", category="banjir")) == [
        ("head_of_department", 0),
        ("walikota", 0),
    ]
    assert names(policy.ladder_for(department="DLHK", category="banjir")) == [("head_of_department", 0), ("walikota", 0)]
    assert names(policy.ladder_for(department="DISHUB", category="sampah")) == [("head_of_department", 0), ("city", 1)]
    assert policy.ladder_for(department="DLHK", category="sampah") == DEFAULT_LADDER
    assert policy.ladder_for(department=None, category=None) == DEFAULT_LADDER


@pytest.mark.parametrize(
    ("breached_at", "days", "due"),
    [
        (wib(2026, 11, 23, 0, 5), 0, wib(2026, 11, 23, 0, 5)),  # at the breach
        (wib(2026, 11, 23, 0, 5), 3, end_of(2026, 11, 26)),  # Mon -> Tue, Wed, Thu
        (wib(2026, 11, 27, 0, 5), 3, end_of(2026, 12, 2)),  # Fri: the weekend does not count
        (wib(2026, 8, 14, 0, 5), 1, end_of(2026, 8, 18)),  # Fri; Mon 17 Aug is Independence Day
        (wib(2026, 12, 23, 0, 5), 2, end_of(2026, 12, 29)),  # cuti bersama 24 Dec, Christmas 25 Dec
    ],
)
def test_a_step_is_due_after_its_working_days(breached_at, days, due):
    assert step_due_at(CALENDAR, breached_at=breached_at, step=EscalationStep("city", days)) == due


def test_the_citys_own_days_off_push_a_step_back():
    city = WorkingCalendar(extra_days_off=frozenset({date(2026, 11, 24)}))
    step = EscalationStep("city", 3)
    assert step_due_at(city, breached_at=wib(2026, 11, 23, 0, 5), step=step) == end_of(2026, 11, 27)


def test_due_steps_fire_in_order_and_only_once():
    breach = wib(2026, 12, 21, 0, 5)  # a Monday before Christmas
    ladder = parse_ladder("head_of_department:0,city:3")
    # At the breach only the head of department; the city after Tue, Wed and (cuti bersama
    # and Christmas aside) Mon 28 Dec.
    at_breach = due_steps(ladder, CALENDAR, breached_at=breach, now=breach, fired=())
    assert [(d.step.name, d.number) for d in at_breach] == [("head_of_department", 1)]
    assert due_steps(ladder, CALENDAR, breached_at=breach, now=breach, fired={"head_of_department"}) == []
    assert next_due_at(ladder, CALENDAR, breached_at=breach, fired={"head_of_department"}) == end_of(2026, 12, 28)
    assert due_steps(ladder, CALENDAR, breached_at=breach, now=wib(2026, 12, 28, 23), fired={"head_of_department"}) == []
    later = due_steps(ladder, CALENDAR, breached_at=breach, now=wib(2026, 12, 29, 0, 1), fired={"head_of_department"})
    assert [(d.step.name, d.number) for d in later] == [("city", 2)]
    # A sweep that was down climbs every step that fell due meanwhile, lowest first.
    both = due_steps(ladder, CALENDAR, breached_at=breach, now=wib(2027, 1, 5), fired=())
    assert [d.step.name for d in both] == ["head_of_department", "city"]
    assert next_due_at(ladder, CALENDAR, breached_at=breach, fired={"head_of_department", "city"}) is None


def test_working_days_overdue_skip_days_off():
    due = end_of(2026, 12, 23)  # the deadline's last day was Wed 23 Dec
    assert working_days_overdue(CALENDAR, due_at=due, now=wib(2026, 12, 23, 23)) == 0
    assert working_days_overdue(CALENDAR, due_at=due, now=wib(2026, 12, 26)) == 0  # cuti bersama, Christmas, Sat
    assert working_days_overdue(CALENDAR, due_at=due, now=wib(2026, 12, 28)) == 1
    assert working_days_overdue(CALENDAR, due_at=due, now=wib(2026, 12, 30)) == 3
