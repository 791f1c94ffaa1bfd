"""SLA working days begin and end at midnight in the city's zone (SIGAP_TIMEZONE): a complaint
received late on Monday evening in Jakarta is already Tuesday in Makassar, so its deadline there
ends a working day later, at Makassar's midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sigap_status.context import sla_policy_from_settings
from sigap_status.settings import StatusSettings
from sigap_status.sla.rules import working_days_left

# Monday 7 December 2026, 23:30 WIB = Tuesday 8 December, 00:30 WITA.
RECEIVED = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "due"),
    [
        # One working day after Monday: the end of Tuesday, Jakarta's midnight.
        ("Asia/Jakarta", datetime(2026, 12, 9, 0, 0, tzinfo=ZoneInfo("Asia/Jakarta"))),
        # One working day after Tuesday: the end of Wednesday, Makassar's midnight.
        ("Asia/Makassar", datetime(2026, 12, 10, 0, 0, tzinfo=ZoneInfo("Asia/Makassar"))),
        ("Asia/Jayapura", datetime(2026, 12, 10, 0, 0, tzinfo=ZoneInfo("Asia/Jayapura"))),
    ],
)
def test_deadlines_cross_midnight_in_the_city_zone(zone, due):
    policy = sla_policy_from_settings(StatusSettings(timezone=zone, sla_verify_days=1))
    stage, deadline = policy.deadline(status="diterima", category=None, since=RECEIVED)
    assert stage == "verify"
    assert deadline == due
    assert deadline.tzinfo == UTC


def test_the_countdown_counts_the_city_days():
    wita = sla_policy_from_settings(StatusSettings(timezone="Asia/Makassar")).calendar
    wib = sla_policy_from_settings(StatusSettings(timezone="Asia/Jakarta")).calendar
    due = datetime(2026, 12, 10, 0, 0, tzinfo=ZoneInfo("Asia/Makassar")).astimezone(UTC)
    # 23:30 WIB on Tuesday is 00:30 WITA on Wednesday: the last day of the deadline in Makassar.
    now = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)
    assert working_days_left(wita, due_at=due, now=now) == 0
    assert working_days_left(wib, due_at=due, now=now) == 1


def test_an_unknown_time_zone_is_refused_at_start():
    with pytest.raises(ValueError, match="SIGAP_TIMEZONE"):
        StatusSettings(timezone="Asia/Depok")
