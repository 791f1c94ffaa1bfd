"""The reporter's reopen as SP4N-LAPOR! allows it: within the objection window, and never once
the complaint has closed by itself; the calendar-day setting only bounds the window. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.follow_up.rules import FollowUpError, TrackedComplaint, check_can_reopen, reopen_window
from sigap_intake.settings import IntakeSettings

FOLLOWED_UP = datetime(2026, 2, 9, 3, 0, tzinfo=UTC)
WINDOW = timedelta(days=IntakeSettings.model_fields["reopen_window_days"].default)


def _finished(*, lapor_closed_at: datetime | None = None, status: str = "selesai") -> TrackedComplaint:
    return TrackedComplaint(
        id="c1", tracking_code="SGP-AB12-CD", follow_up_token_hash=b"", privacy="publik", publicly_visible=True,
        status=status, status_changed_at=FOLLOWED_UP, rating=None, lapor_closed_at=lapor_closed_at,
    )  # fmt: skip


def _refusal(complaint: TrackedComplaint, *, now: datetime) -> FollowUpError:
    with pytest.raises(FollowUpError) as refused:
        check_can_reopen(complaint, now=now, window=WINDOW)
    return refused.value


def test_the_window_is_thirty_calendar_days_at_most():
    assert WINDOW == timedelta(days=30)
    check_can_reopen(_finished(), now=FOLLOWED_UP + timedelta(days=29), window=WINDOW)
    assert _refusal(_finished(), now=FOLLOWED_UP + timedelta(days=31)).code == "reopen-window-passed"


def test_once_closed_by_lapor_the_reporter_may_no_longer_reopen_even_inside_the_calendar_window():
    closed = _finished(lapor_closed_at=FOLLOWED_UP + timedelta(days=16))
    refusal = _refusal(closed, now=FOLLOWED_UP + timedelta(days=17))
    assert refusal.code == "lapor-closed"
    assert refusal.message.id.startswith("Laporan sudah ditutup otomatis")
    assert "closed automatically" in refusal.message.en
    # Inside the same calendar window, a complaint not closed yet may be reopened.
    check_can_reopen(_finished(), now=FOLLOWED_UP + timedelta(days=17), window=WINDOW)


def test_an_unfinished_complaint_is_refused_as_before():
    assert _refusal(_finished(status="dalam_proses"), now=FOLLOWED_UP).code == "not-finished"


def test_the_tracking_view_tells_whether_and_until_when_the_reporter_may_reopen():
    inside = reopen_window(_finished(), now=FOLLOWED_UP + timedelta(days=3), window=WINDOW)
    assert inside.can_reopen and inside.until == FOLLOWED_UP + WINDOW and inside.lapor_closed_at is None
    late = reopen_window(_finished(), now=FOLLOWED_UP + timedelta(days=31), window=WINDOW)
    assert not late.can_reopen and late.until == FOLLOWED_UP + WINDOW
    closed_at = FOLLOWED_UP + timedelta(days=14)
    closed = reopen_window(_finished(lapor_closed_at=closed_at), now=FOLLOWED_UP + timedelta(days=15), window=WINDOW)
    assert not closed.can_reopen and closed.until is None and closed.lapor_closed_at == closed_at
    handled = reopen_window(_finished(status="dalam_proses"), now=FOLLOWED_UP, window=WINDOW)
    assert not handled.can_reopen and handled.until is None
