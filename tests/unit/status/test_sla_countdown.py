"""The working-day countdown staff read in the queue: days left to a deadline, 0 on its last
day, negative once it passed, weekends and holidays not counted."""

from __future__ import annotations

from datetime import UTC, datetime

from sigap_status.sla.rules import WIB, WorkingCalendar, working_days_left

CALENDAR = WorkingCalendar()


def _wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def test_a_deadline_three_working_days_out_leaves_three():
    # Monday 2 March 2026, 10:00: verification within 3 working days ends Thursday 5 March.
    start = _wib(2026, 3, 2, 10)
    due = CALENDAR.add_working_days(start, 3)
    assert working_days_left(CALENDAR, due_at=due, now=start) == 3
    assert working_days_left(CALENDAR, due_at=due, now=_wib(2026, 3, 4, 23, 59)) == 1
    assert working_days_left(CALENDAR, due_at=due, now=_wib(2026, 3, 5, 8)) == 0


def test_weekends_and_joint_leave_are_not_counted():
    # Friday 13 March 2026: Nyepi (19 March) and the cuti bersama around it are days off.
    start = _wib(2026, 3, 13, 9)
    due = CALENDAR.add_working_days(start, 3)
    assert working_days_left(CALENDAR, due_at=due, now=start) == 3
    assert working_days_left(CALENDAR, due_at=due, now=_wib(2026, 3, 16, 9)) == 2


def test_a_passed_deadline_counts_working_days_overdue():
    due = CALENDAR.add_working_days(_wib(2026, 3, 2, 10), 3)  # last day Thursday 5 March
    assert working_days_left(CALENDAR, due_at=due, now=_wib(2026, 3, 6, 9)) == -1
    assert working_days_left(CALENDAR, due_at=due, now=_wib(2026, 3, 9, 9)) == -2  # the weekend is free
    assert working_days_left(CALENDAR, due_at=due, now=datetime(2026, 3, 5, 18, tzinfo=UTC)) == -1  # 01:00 WIB on the 6th


def test_no_deadline_no_countdown():
    assert working_days_left(CALENDAR, due_at=None, now=_wib(2026, 3, 2)) is None
