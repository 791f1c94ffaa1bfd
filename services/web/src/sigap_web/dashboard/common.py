"""What every dashboard page shares: who may open it, how a call to a service is made for the
signed-in staff member, and how deadlines and moments are put into words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import Depends, Request

from sigap_web.clients import Call
from sigap_web.context import WebState, call_for
from sigap_web.i18n import Translator
from sigap_web.session import StaffSession
from sigap_web.staff.auth import require_staff

DASHBOARD_ROLES = ("dept_admin", "city_admin", "auditor")
CITY_WIDE_ROLES = ("city_admin", "auditor")

DashboardStaff = Annotated[StaffSession, Depends(require_staff(*DASHBOARD_ROLES))]

WIB = timezone(timedelta(hours=7))
# Staff pages hold complaint details: never kept by the browser's or a proxy's cache.
NO_STORE = {"Cache-Control": "no-store"}


def staff_call(request: Request, state: WebState, staff: StaffSession) -> Call:
    return call_for(request, state, token=staff.access_token)


def when(value: object) -> str:
    """A moment as Depok reads it: local time (WIB)."""
    if not value:
        return ""
    return datetime.fromisoformat(str(value)).astimezone(WIB).strftime("%d/%m/%Y %H:%M WIB")


def deadline_day(value: object) -> str:
    """A deadline's last day (status gives the first instant after it), in WIB."""
    if not value:
        return ""
    last = datetime.fromisoformat(str(value)) - timedelta(microseconds=1)
    return last.astimezone(WIB).strftime("%d/%m/%Y")


def sla_words(t: Translator, item: dict[str, Any]) -> tuple[str, str]:
    """The deadline countdown in working days, and its tone (ok, soon, late, paused, none)."""
    state = item.get("sla_state")
    if state == "paused":
        return t("dash.sla.paused"), "paused"
    days = item.get("sla_working_days_left")
    if item.get("sla_due_at") is None or days is None:
        return t("dash.sla.none"), "none"
    if days < 0 or state == "breached":
        return t("dash.sla.late", n=max(-days, 0)) if days < 0 else t("dash.sla.late_today"), "late"
    if days == 0:
        return t("dash.sla.today"), "soon"
    return t("dash.sla.left", n=days), "soon" if state == "due_soon" or days <= 1 else "ok"


def progress_words(t: Translator, item: dict[str, Any]) -> dict[str, str]:
    """A complaint's status, day received and deadline as the queue and its page show them."""
    sla_text, sla_tone = sla_words(t, item)
    return {
        "status_text": status_words(t, item.get("status")),
        "submitted": when(item.get("submitted_at")),
        "sla_text": sla_text,
        "sla_tone": sla_tone,
        "sla_due": deadline_day(item.get("sla_due_at")),
    }


def escalation_step_words(t: Translator, step: str | None) -> str:
    """Who an escalation ladder step tells (`head_of_department`, `city`, or a department's own step)."""
    key = f"escalation.step.{step}"
    return t(key) if step and key in t.catalogue else t("escalation.step_unknown", name=step or "-")


def status_words(t: Translator, status: str | None) -> str:
    key = f"status.{status}"
    return t(key) if status and key in t.catalogue else (status or "-")
