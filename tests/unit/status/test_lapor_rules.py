"""LAPOR!'s stages and auto-close time, pure: working days on the city's calendar (cuti
bersama not counted), and which stage each Sigap state and status change maps to."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from sigap_shared.auth import StaffPrincipal
from sigap_status.lapor import rules
from sigap_status.lapor.rules import LaporPolicy, stage_of, stage_for_change
from sigap_status.lifecycle.rules import NotPermitted
from sigap_status.sla.rules import WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
POLICY = LaporPolicy(calendar=WorkingCalendar())


def _complaint(**fields):
    base = {
        "status": "diterima",
        "received_at": datetime(2026, 2, 9, 10, tzinfo=WIB),
        "verified_at": None,
        "resolved_at": None,
        "rejection_reason": None,
        "lapor_postponed_at": None,
        "lapor_archived_at": None,
        "lapor_closed_at": None,
    }
    return {**base, **fields}


def test_closing_skips_cuti_bersama_and_public_holidays():
    followed_up = datetime(2026, 2, 9, 10, tzinfo=WIB)  # 16 Feb cuti bersama, 17 Feb Imlek
    assert POLICY.closes_at(followed_up) == datetime(2026, 2, 26, tzinfo=WIB)
    public_only = LaporPolicy(calendar=WorkingCalendar(holiday_categories=("public",)))
    assert public_only.closes_at(followed_up) == datetime(2026, 2, 25, tzinfo=WIB)
    city_day_off = LaporPolicy(calendar=WorkingCalendar(extra_days_off=frozenset({datetime(2026, 2, 25).date()})))
    assert city_day_off.closes_at(followed_up) == datetime(2026, 2, 27, tzinfo=WIB)
    assert not rules.due_to_close(resolved_at=followed_up, policy=POLICY, now=datetime(2026, 2, 25, 23, 59, tzinfo=WIB))
    assert rules.due_to_close(resolved_at=followed_up, policy=POLICY, now=datetime(2026, 2, 26, tzinfo=WIB))


def test_stages_follow_sigap_states():
    now = datetime(2026, 2, 10, 9, tzinfo=WIB)
    received = stage_of(_complaint(), POLICY, now=now)
    assert (received.stage, received.due_at, received.overdue) == ("verifikasi", datetime(2026, 2, 13, tzinfo=WIB), False)
    late = stage_of(_complaint(), POLICY, now=datetime(2026, 2, 13, 8, tzinfo=WIB))
    assert late.overdue
    verified = stage_of(_complaint(status="dalam_proses", verified_at=datetime(2026, 2, 10, 9, tzinfo=WIB)), POLICY, now=now)
    assert (verified.stage, verified.due_at) == ("tindak_lanjut", datetime(2026, 2, 20, tzinfo=WIB))
    finished = _complaint(status="selesai", resolved_at=datetime(2026, 2, 9, 10, tzinfo=WIB))
    assert stage_of(finished, POLICY, now=now).stage == "menunggu_tanggapan"
    assert stage_of({**finished, "lapor_closed_at": now}, POLICY, now=now).stage == "ditutup"
    assert stage_of(_complaint(lapor_postponed_at=now), POLICY, now=now).stage == "ditunda"
    assert stage_of(_complaint(status="ditolak", rejection_reason="spam"), POLICY, now=now).stage == "diarsipkan"
    assert stage_of(_complaint(status="ditolak", rejection_reason="hoax"), POLICY, now=now).stage == "ditolak"
    assert stage_of(_complaint(status=None), POLICY, now=now).stage is None


@pytest.mark.parametrize(
    ("status", "reason", "stage"),
    [
        ("diterima", None, "verifikasi"),
        ("terverifikasi", None, "tindak_lanjut"),
        ("dibuka_kembali", "belum beres", "tindak_lanjut"),
        ("selesai", None, "menunggu_tanggapan"),
        ("selesai", "ditutup_otomatis", "ditutup"),
        ("ditolak", "duplicate", "diarsipkan"),
        ("ditolak", "out_of_scope", "ditolak"),
    ],
)
def test_each_change_maps_to_a_stage(status, reason, stage):
    assert stage_for_change(status=status, reason=reason) == stage


def test_only_desk_admins_of_the_lead_department_administer():
    def staff(role, department=None):
        return StaffPrincipal(username=f"u-{uuid4().hex[:6]}", role=role, department=department)

    rules.check_may_administer(staff("city_admin"), "DISHUB")
    rules.check_may_administer(staff("dept_admin", "DISHUB"), "DISHUB")
    for refused in (staff("dept_admin", "DLH"), staff("field_officer", "DISHUB"), staff("auditor")):
        with pytest.raises(NotPermitted):
            rules.check_may_administer(refused, "DISHUB")


def test_actions_fit_the_state():
    rules.check_action(_complaint(), "tunda")
    with pytest.raises(rules.LaporActionRefused):
        rules.check_action(_complaint(status="selesai"), "tunda")
    with pytest.raises(rules.LaporActionRefused):
        rules.check_action(_complaint(lapor_postponed_at=datetime.now(WIB)), "tunda")
    with pytest.raises(rules.LaporActionRefused):
        rules.check_action(_complaint(), "lanjutkan")
