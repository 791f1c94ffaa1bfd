"""Pure rules for handing a complaint on after the first routing: transfer of the lead
(`bukan wewenang` by the lead department's admin; from the triage desk or as a correction by
the city admin) and joint handling (supporting departments added or removed by the lead's
admin or the city admin). Each rule returns the event that records who did what and why, or
refuses with a `DomainError` (codes mapped to HTTP in `sigap_routing.errors`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import DomainError, Text
from sigap_shared.events import (
    TRIAGE_DESK,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    ReporterRef,
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who handles one complaint now."""

    complaint_id: UUID
    tracking_code: str
    lead: str
    supporting: tuple[str, ...]
    reporter: ReporterRef | None = None


def _forbidden(message: Text) -> DomainError:
    return DomainError("delegation-forbidden", message)


def _conflict(message: Text) -> DomainError:
    return DomainError("delegation-conflict", message)


def _check_department(code: str, known: Collection[str]) -> None:
    if code not in known:
        raise DomainError(
            "unknown-department",
            Text(
                f"Kode dinas '{code}' tidak ada di taksonomi aktif.",
                f"Department code '{code}' is not in the active taxonomy.",
            ),
        )


def _may_act_for_lead(actor: StaffPrincipal, assignment: Assignment) -> bool:
    return actor.role == "city_admin" or (actor.role == "dept_admin" and actor.department == assignment.lead)


def transfer(
    assignment: Assignment,
    *,
    to_department: str,
    reason: str,
    category: str | None,
    actor: StaffPrincipal,
    known_departments: Collection[str],
    now: datetime,
) -> ComplaintTransferred:
    if not _may_act_for_lead(actor, assignment):
        if assignment.lead == TRIAGE_DESK:
            raise _forbidden(
                Text(
                    "Pengaduan di meja triase hanya dapat diteruskan oleh admin kota.",
                    "Only the city admin routes complaints from the triage desk.",
                )
            )
        raise _forbidden(
            Text(
                f"Hanya admin {assignment.lead} atau admin kota yang dapat memindahkan pengaduan ini.",
                f"Only an admin of {assignment.lead} or the city admin may transfer this complaint.",
            )
        )
    if to_department != TRIAGE_DESK:
        _check_department(to_department, known_departments)
    if to_department == assignment.lead:
        raise _conflict(
            Text(f"Pengaduan sudah ditangani {to_department}.", f"The complaint is already handled by {to_department}.")
        )
    if actor.role == "city_admin":
        kind = "triase" if assignment.lead == TRIAGE_DESK else "koreksi"
    else:
        kind = "bukan_wewenang"
    return ComplaintTransferred(
        complaint_id=assignment.complaint_id,
        tracking_code=assignment.tracking_code,
        from_department=assignment.lead,
        to_department=to_department,
        kind=kind,
        reason=reason,
        category=category,
        actor=actor.username,
        actor_role=actor.role,
        supporting_departments=tuple(code for code in assignment.supporting if code != to_department),
        reporter=assignment.reporter,
        transferred_at=now,
    )


def add_support(
    assignment: Assignment,
    *,
    department: str,
    reason: str,
    actor: StaffPrincipal,
    known_departments: Collection[str],
    now: datetime,
) -> ComplaintSupportAdded:
    if not _may_act_for_lead(actor, assignment):
        raise _forbidden(
            Text(
                f"Hanya admin {assignment.lead} (dinas utama) atau admin kota yang dapat menambah dinas pendukung.",
                f"Only an admin of the lead department {assignment.lead} or the city admin may add supporting"
                " departments.",
            )
        )
    if assignment.lead == TRIAGE_DESK:
        raise _conflict(
            Text(
                "Tentukan dulu dinas utama (pengaduan masih di meja triase).",
                "Choose the lead department first (the complaint is still at the triage desk).",
            )
        )
    _check_department(department, known_departments)
    if department == assignment.lead:
        raise _conflict(Text(f"{department} adalah dinas utama.", f"{department} is the lead department."))
    if department in assignment.supporting:
        raise _conflict(Text(f"{department} sudah menjadi dinas pendukung.", f"{department} already supports."))
    supporting = (*assignment.supporting, department)
    return ComplaintSupportAdded(**_support_change(assignment, department, reason, actor, supporting), added_at=now)


def remove_support(
    assignment: Assignment, *, department: str, reason: str, actor: StaffPrincipal, now: datetime
) -> ComplaintSupportRemoved:
    own = actor.role == "dept_admin" and actor.department == department
    if not (_may_act_for_lead(actor, assignment) or own):
        raise _forbidden(
            Text(
                "Hanya admin dinas utama, admin dinas pendukung itu sendiri, atau admin kota yang dapat mencabutnya.",
                "Only the lead department's admin, that supporting department's admin or the city admin may remove it.",
            )
        )
    if department not in assignment.supporting:
        raise _conflict(
            Text(f"{department} bukan dinas pendukung pengaduan ini.", f"{department} does not support this complaint.")
        )
    supporting = tuple(code for code in assignment.supporting if code != department)
    return ComplaintSupportRemoved(**_support_change(assignment, department, reason, actor, supporting), removed_at=now)


def _support_change(
    assignment: Assignment, department: str, reason: str, actor: StaffPrincipal, supporting: tuple[str, ...]
) -> dict[str, Any]:
    """What an added and a removed supporting department both record: the complaint, its lead,
    the department, why and by whom, and the supporting set after the change."""
    return {
        "complaint_id": assignment.complaint_id,
        "tracking_code": assignment.tracking_code,
        "lead_department": assignment.lead,
        "department": department,
        "reason": reason,
        "actor": actor.username,
        "actor_role": actor.role,
        "supporting_departments": supporting,
    }
