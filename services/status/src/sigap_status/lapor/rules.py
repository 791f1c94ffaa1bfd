"""SP4N-LAPOR!'s stages beside Sigap's status, the admin actions LAPOR! operators know (tunda,
arsipkan, lanjutkan) and when a finished complaint closes by itself. Pure: no I/O, no HTTP.
docs/lapor.md is the same mapping in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text
from sigap_shared.events import AUTO_CLOSE_REASON
from sigap_status.lifecycle.rules import AUDITORS_READ_ONLY, LEAD_DEPARTMENT_ONLY, LifecycleError, NotPermitted
from sigap_status.sla.rules import WorkingCalendar

DEFAULT_VERIFY_DAYS = 3  # verification and forwarding
DEFAULT_FOLLOW_UP_DAYS = 5  # the department's follow-up
DEFAULT_CLOSE_DAYS = 10  # quiet working days after the follow-up before the complaint closes

ARCHIVE_REASONS: tuple[str, ...] = ("spam", "duplicate")
# Statuses in which a complaint is still being handled, so it may be postponed.
POSTPONABLE: frozenset[str] = frozenset({"diterima", "terverifikasi", "dalam_proses", "dibuka_kembali"})

LaporStage = Literal[
    "verifikasi", "tindak_lanjut", "menunggu_tanggapan", "ditutup", "ditunda", "diarsipkan", "ditolak"
]

STAGE_LABELS: dict[str, Text] = {
    "verifikasi": Text("Verifikasi dan penerusan", "Verification and forwarding"),
    "tindak_lanjut": Text("Tindak lanjut oleh dinas", "Follow-up by the department"),
    "menunggu_tanggapan": Text("Menunggu tanggapan pelapor", "Awaiting the reporter's response"),
    "ditutup": Text("Selesai dan ditutup", "Finished and closed"),
    "ditunda": Text("Ditunda", "Postponed"),
    "diarsipkan": Text("Diarsipkan (spam atau duplikat)", "Archived (spam or duplicate)"),
    "ditolak": Text("Ditolak", "Rejected"),
}


@dataclass(frozen=True)
class LaporPolicy:
    """The working days each LAPOR! stage has (SIGAP_LAPOR_*), on the city's calendar."""

    calendar: WorkingCalendar
    verify_days: int = DEFAULT_VERIFY_DAYS
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS
    close_days: int = DEFAULT_CLOSE_DAYS

    def closes_at(self, resolved_at: datetime) -> datetime:
        """When a complaint finished (followed up) at `resolved_at` closes if nobody reacts:
        the end of the `close_days`-th working day after it."""
        return self.calendar.add_working_days(resolved_at, self.close_days)


@dataclass(frozen=True, slots=True)
class StageView:
    stage: LaporStage | None
    # When the stage should end: its deadline, or for `menunggu_tanggapan` when it closes.
    due_at: datetime | None
    overdue: bool

    def label(self) -> Text | None:
        return STAGE_LABELS[self.stage] if self.stage else None


def stage_of(complaint: Mapping[str, Any], policy: LaporPolicy, *, now: datetime) -> StageView:
    """The LAPOR! stage of a complaint row (its status and LAPOR! columns)."""
    status = complaint["status"]
    stage: LaporStage | None
    since: datetime | None = None
    days = 0
    if status is None:
        return StageView(None, None, False)
    if status == "ditolak":
        archived = complaint["lapor_archived_at"] is not None or complaint["rejection_reason"] in ARCHIVE_REASONS
        return StageView("diarsipkan" if archived else "ditolak", None, False)
    if complaint["lapor_postponed_at"] is not None:
        return StageView("ditunda", None, False)
    if status == "selesai":
        if complaint["lapor_closed_at"] is not None:
            return StageView("ditutup", None, False)
        resolved_at = complaint["resolved_at"]
        return StageView("menunggu_tanggapan", policy.closes_at(resolved_at) if resolved_at else None, False)
    if status == "diterima":
        stage, since, days = "verifikasi", complaint["received_at"], policy.verify_days
    else:
        stage, since, days = "tindak_lanjut", complaint["verified_at"] or complaint["received_at"], policy.follow_up_days
    due_at = policy.calendar.add_working_days(since, days) if since is not None else None
    return StageView(stage, due_at, due_at is not None and due_at <= now)


def stage_for_change(*, status: str, reason: str | None) -> LaporStage | None:
    """The LAPOR! stage a status change announces (what the outbound connector forwards)."""
    if status == "diterima":
        return "verifikasi"
    if status in ("terverifikasi", "dalam_proses", "dibuka_kembali"):
        return "tindak_lanjut"
    if status == "selesai":
        return "ditutup" if reason == AUTO_CLOSE_REASON else "menunggu_tanggapan"
    if status == "ditolak":
        return "diarsipkan" if reason in ARCHIVE_REASONS else "ditolak"
    return None


def due_to_close(*, resolved_at: datetime, policy: LaporPolicy, now: datetime) -> bool:
    return policy.closes_at(resolved_at) <= now


# -- the admin actions -------------------------------------------------------------------------

LaporAction = Literal["tunda", "lanjutkan", "arsipkan"]
ADMINS_ONLY = Text(
    "Hanya admin dinas atau admin kota yang dapat menunda, melanjutkan atau mengarsipkan pengaduan.",
    "Only a department admin or the city admin postpones, resumes or archives a complaint.",
)


class LaporActionRefused(LifecycleError):
    """The complaint's state does not allow this LAPOR! action now (409)."""

    def __init__(self, message: Text) -> None:
        super().__init__("lapor-action-refused", message)


class ReopenWindowClosed(LifecycleError):
    def __init__(self) -> None:
        super().__init__(
            "lapor-closed",
            Text(
                "Pengaduan sudah ditutup: masa tanggapan setelah tindak lanjut telah lewat.",
                "The complaint is closed: the response window after the follow-up has passed.",
            ),
        )


def check_may_administer(staff: StaffPrincipal, department: str | None) -> None:
    """LAPOR!'s admin actions are the desk's: department admins of the lead department and the
    city admin; auditors only read and field officers do the work."""
    if staff.role == "auditor":
        raise NotPermitted(AUDITORS_READ_ONLY)
    if staff.role not in ("dept_admin", "city_admin"):
        raise NotPermitted(ADMINS_ONLY)
    if staff.role == "dept_admin" and department != staff.department:
        raise NotPermitted(LEAD_DEPARTMENT_ONLY)


def check_action(complaint: Mapping[str, Any], action: LaporAction) -> None:
    """Whether `action` fits the complaint's state (the caller checked who may act)."""
    status = complaint["status"]
    postponed = complaint["lapor_postponed_at"] is not None
    if action == "tunda":
        if status not in POSTPONABLE:
            raise LaporActionRefused(
                Text(
                    f"Pengaduan berstatus {status} tidak dapat ditunda; hanya pengaduan yang sedang ditangani.",
                    f"A complaint in {status} cannot be postponed; only one being handled can.",
                )
            )
        if postponed:
            raise LaporActionRefused(Text("Pengaduan sudah ditunda.", "The complaint is already postponed."))
    elif action == "lanjutkan" and not postponed:
        raise LaporActionRefused(Text("Pengaduan tidak sedang ditunda.", "The complaint is not postponed."))


def check_reporter_may_reopen(complaint: Mapping[str, Any]) -> None:
    """Once closed, the reporter's objection window is over (the city admin may still reopen)."""
    if complaint.get("lapor_closed_at") is not None:
        raise ReopenWindowClosed()
