"""The complaint lifecycle as a pure state machine (which role may move a complaint from which
state to which), who may see and act on a complaint, and the events a change produces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

from sigap_shared.auth import Role, StaffPrincipal, may_see_complaint
from sigap_shared.events import (
    ComplaintAssigned,
    ComplaintReporterMessagePosted,
    ComplaintStatus,
    ComplaintStatusChanged,
    Envelope,
    ReporterRef,
)
from sigap_shared.visible_text import visible_or_none

SOURCE = "sigap/status"
SYSTEM_ACTOR = "sistem"
REPORTER_ACTOR = "pelapor"

RejectionReason = Literal["hoax", "spam", "duplicate", "out_of_scope"]
REJECTION_REASONS: tuple[str, ...] = get_args(RejectionReason)
STATUSES: tuple[str, ...] = get_args(ComplaintStatus)

# Who acts: a staff role, or the reporter (who may only reopen a finished complaint).
ActorKind = Role | Literal["reporter"]

# Which states may follow which. `None` is a complaint that routing has not placed yet.
TRANSITIONS: dict[ComplaintStatus | None, frozenset[ComplaintStatus]] = {
    None: frozenset({"diterima"}),
    "diterima": frozenset({"terverifikasi", "ditolak"}),
    "terverifikasi": frozenset({"dalam_proses", "ditolak"}),
    "dalam_proses": frozenset({"selesai"}),
    "selesai": frozenset({"dibuka_kembali"}),
    "dibuka_kembali": frozenset({"dalam_proses"}),
    "ditolak": frozenset(),
}

# Which actors may make each staff-driven transition. Verifying and rejecting is the
# department admin's desk; field officers start and finish work; the city admin (triage desk)
# may do anything a department admin may, and may reopen on the reporter's behalf.
# Auditors never act.
PERMITTED: dict[tuple[ComplaintStatus, ComplaintStatus], frozenset[str]] = {
    ("diterima", "terverifikasi"): frozenset({"dept_admin", "city_admin"}),
    ("diterima", "ditolak"): frozenset({"dept_admin", "city_admin"}),
    ("terverifikasi", "dalam_proses"): frozenset({"dept_admin", "city_admin", "field_officer"}),
    ("terverifikasi", "ditolak"): frozenset({"dept_admin", "city_admin"}),
    ("dalam_proses", "selesai"): frozenset({"dept_admin", "city_admin", "field_officer"}),
    ("selesai", "dibuka_kembali"): frozenset({"reporter", "city_admin"}),
    ("dibuka_kembali", "dalam_proses"): frozenset({"dept_admin", "city_admin", "field_officer"}),
}


class LifecycleError(Exception):
    """Base of every refusal the lifecycle makes."""


class IllegalTransition(LifecycleError):
    """The wanted state does not follow the current one (for this actor)."""

    def __init__(self, current: ComplaintStatus | None, wanted: str, allowed: Sequence[str] | None = None) -> None:
        super().__init__(f"cannot move from {current} to {wanted}")
        self.current = current
        self.wanted = wanted
        self.allowed = sorted(TRANSITIONS.get(current, frozenset()) if allowed is None else allowed)


class NotPermitted(LifecycleError):
    """The actor may see the complaint but not do this to it. `reason` is English;
    `reason_id` its Indonesian when the API has no fixed wording for it."""

    def __init__(self, reason: str, reason_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_id = reason_id


ROLE_NAMES: dict[str, tuple[str, str]] = {
    "city_admin": ("admin kota", "the city admin"),
    "dept_admin": ("admin dinas", "a department admin"),
    "field_officer": ("petugas lapangan", "a field officer"),
    "auditor": ("auditor", "an auditor"),
    "reporter": ("pelapor", "the reporter"),
}
ROLES_IN_ORDER = ("dept_admin", "city_admin", "field_officer", "reporter", "auditor")


class MissingInformation(LifecycleError):
    """A transition that needs more than the request gave (reason, resolution note, photo)."""

    def __init__(self, field: str, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_id = message_id
        self.message_en = message_en


class StaleVersion(LifecycleError):
    """The complaint changed since the client read it."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected}, current is {current}")
        self.expected = expected
        self.current = current


def may_ever(actor: str, wanted: str) -> bool:
    """Whether some state lets `actor` move a complaint to `wanted`."""
    return any(actor in actors for (_, to), actors in PERMITTED.items() if to == wanted)


def check_may_ever(actor: str, wanted: str) -> None:
    """A change the actor's role may make from no state at all is a matter of permission
    (403), not of the complaint's state (409, where reloading may help)."""
    if may_ever(actor, wanted):
        return
    who_id, who_en = ROLE_NAMES.get(actor, (actor, actor))
    may_id = " atau ".join(ROLE_NAMES[role][0] for role in ROLES_IN_ORDER if may_ever(role, wanted)) or "sistem"
    may_en = " or ".join(ROLE_NAMES[role][1] for role in ROLES_IN_ORDER if may_ever(role, wanted)) or "the system"
    raise NotPermitted(
        f"{who_en} may never move a complaint to {wanted}; only {may_en} may",
        f"{who_id[0].upper() + who_id[1:]} tidak berwenang mengubah status pengaduan menjadi {wanted}; "
        f"hanya {may_id} yang dapat melakukannya.",
    )


def check_transition(current: ComplaintStatus | None, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(current, wanted)


def allowed_transitions(current: ComplaintStatus | None, actor: str) -> list[str]:
    """What `actor` (a role, or "reporter") may move a complaint in `current` to."""
    if current is None:
        return []
    return sorted(
        wanted for wanted in TRANSITIONS.get(current, frozenset()) if actor in PERMITTED.get((current, wanted), ())
    )


@dataclass(frozen=True, slots=True)
class ComplaintView:
    """What the rules need to know about a complaint."""

    id: UUID
    tracking_code: str
    status: ComplaintStatus | None
    department: str | None
    version: int
    supporting_departments: tuple[str, ...] = ()
    assigned_officer: str | None = None
    reporter: ReporterRef | None = None


# -- who sees and acts on what --------------------------------------------------------------


def can_see(staff: StaffPrincipal, complaint: ComplaintView) -> bool:
    """City-wide roles see everything; a department's staff see complaints their department
    leads or supports, once received there; a field officer only those assigned to them
    within their department."""
    if complaint.status is None and not staff.is_city_wide:
        return False
    return may_see_complaint(
        staff,
        departments=(complaint.department, *complaint.supporting_departments),
        assigned_officer=complaint.assigned_officer,
    )


def check_may_act(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    """Raise `NotPermitted` unless `staff` (who can see the complaint) may change it.
    The lead department owns the lifecycle; a supporting department follows along."""
    if staff.role == "auditor":
        raise NotPermitted("auditors have read-only access")
    if staff.role == "city_admin":
        return
    if complaint.department != staff.department:
        raise NotPermitted("only the lead department changes a complaint's lifecycle")


def check_may_assign(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    check_may_act(staff, complaint)
    if staff.role == "field_officer":
        raise NotPermitted("only a department admin or the city admin assigns field officers")


def check_may_reveal_identity(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    """Only the city admin may see who a reporter is (callers first check `can_see`, so other
    staff get 404 for complaints they cannot see and this refusal only for those they can)."""
    if staff.role != "city_admin":
        raise NotPermitted("only the city admin may see a reporter's identity")


# -- transitions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransitionRequest:
    to: str
    expected_version: int
    reason: str | None = None
    note: str | None = None
    duplicate_of: UUID | None = None
    resolution_note: str | None = None
    after_photo_ids: tuple[UUID, ...] = field(default_factory=tuple)


def decide_transition(
    complaint: ComplaintView,
    request: TransitionRequest,
    *,
    actor_kind: str,
    actor_name: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """Check a requested transition against the rules and return the event it produces.

    Order of checks: whether the actor's role may ever make this change (a refusal no reload
    can change), then a stale version (the client's picture is out of date, so nothing else it
    asked can be judged), then the state machine, then the transition's own needs."""
    check_may_ever(actor_kind, request.to)
    if request.expected_version != complaint.version:
        raise StaleVersion(request.expected_version, complaint.version)
    current = complaint.status
    if request.to not in TRANSITIONS.get(current, frozenset()) or actor_kind not in PERMITTED.get(
        (current, request.to), ()  # type: ignore[arg-type]
    ):
        raise IllegalTransition(current, request.to, allowed_transitions(current, actor_kind))
    reason = _clean(request.reason)
    resolution_note = _clean(request.resolution_note)
    if request.to == "ditolak":
        if reason not in REJECTION_REASONS:
            raise MissingInformation(
                "reason",
                "Alasan penolakan wajib diisi: " + ", ".join(REJECTION_REASONS),
                "A rejection reason is required: " + ", ".join(REJECTION_REASONS),
            )
        if reason == "duplicate" and request.duplicate_of is None:
            raise MissingInformation(
                "duplicate_of",
                "Sebutkan pengaduan asli (duplicate_of) untuk penolakan karena duplikat",
                "Name the original complaint (duplicate_of) when rejecting as a duplicate",
            )
        if request.duplicate_of == complaint.id:
            raise MissingInformation(
                "duplicate_of",
                "Pengaduan tidak bisa menjadi duplikat dirinya sendiri",
                "A complaint cannot be a duplicate of itself",
            )
    if request.to == "selesai":
        if not resolution_note:
            raise MissingInformation(
                "resolution_note",
                "Catatan penyelesaian wajib diisi untuk menyelesaikan pengaduan",
                "A resolution note is required to finish a complaint",
            )
        if not request.after_photo_ids:
            raise MissingInformation(
                "after_photo_ids",
                "Minimal satu foto sesudah penanganan wajib dilampirkan",
                "At least one after-photo is required",
            )
        if len(set(request.after_photo_ids)) != len(request.after_photo_ids):
            raise MissingInformation(
                "after_photo_ids",
                "Foto sesudah penanganan yang sama disebut lebih dari sekali",
                "The same after-photo is listed more than once",
            )
    if request.to == "dibuka_kembali" and not reason:
        raise MissingInformation(
            "reason",
            "Alasan membuka kembali pengaduan wajib diisi",
            "A reason is required to reopen a complaint",
        )
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintStatusChanged(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            department=complaint.department or "",
            previous_status=current,
            status=request.to,  # type: ignore[arg-type]
            reason=reason,
            actor=actor_name,
            actor_role=actor_kind,
            note=_clean(request.note),
            duplicate_of=request.duplicate_of if request.to == "ditolak" else None,
            resolution_note=resolution_note if request.to == "selesai" else None,
            after_photo_ids=tuple(request.after_photo_ids) if request.to == "selesai" else (),
            reporter=complaint.reporter,
            changed_at=now,
        ),
    )


def check_merge_target(
    *,
    submitted_at: datetime | None,
    original_status: ComplaintStatus | None,
    original_submitted_at: datetime | None,
) -> None:
    """A complaint is merged into an earlier one that is still being handled (or done), never
    into a later report or one that was itself rejected (a hoax, or another duplicate)."""
    if original_status == "ditolak":
        raise MissingInformation(
            "duplicate_of",
            "Pengaduan asli sudah ditolak; gabungkan ke pengaduan yang ditangani",
            "The original complaint was rejected; merge into one that is being handled",
        )
    if submitted_at is not None and original_submitted_at is not None and original_submitted_at > submitted_at:
        raise MissingInformation(
            "duplicate_of",
            "Pengaduan hanya bisa digabungkan ke pengaduan yang lebih awal",
            "A complaint can only be merged into an earlier one",
        )


class AfterPhotosNotLive(LifecycleError):
    """None of the after-photos was taken live; `failed` says which photo failed and why."""

    def __init__(self, failed: Sequence[tuple[UUID, str, tuple[str, ...]]]) -> None:
        super().__init__("no after-photo was verified as taken live")
        self.failed = list(failed)


LIVE_VERDICT = "verified_live"


def check_after_photos_live(verdicts: Sequence[tuple[UUID, str, tuple[str, ...]]]) -> None:
    """Finishing needs at least one after-photo that intake verified as taken live
    (verdicts are (photo id, verdict, reasons))."""
    if not any(verdict == LIVE_VERDICT for _, verdict, _ in verdicts):
        raise AfterPhotosNotLive([entry for entry in verdicts if entry[1] != LIVE_VERDICT])


def assignment_event(
    complaint: ComplaintView,
    *,
    officer: str | None,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """Assigning, reassigning or (officer None) unassigning a field officer."""
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintAssigned(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            department=complaint.department or "",
            officer=officer,
            previous_officer=complaint.assigned_officer,
            actor=actor_name,
            actor_role=actor_role,
            assigned_at=now,
        ),
    )


def officer_released_event(
    *,
    complaint_id: UUID,
    tracking_code: str,
    department: str,
    officer: str,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """The complaint left `department` (a transfer), so its field officer no longer has it."""
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintAssigned(
            complaint_id=complaint_id,
            tracking_code=tracking_code,
            department=department,
            officer=None,
            previous_officer=officer,
            actor=actor_name,
            actor_role=actor_role,
            assigned_at=now,
        ),
    )


def reporter_message_event(
    complaint: ComplaintView,
    *,
    message_id: UUID,
    body: str,
    actor_name: str,
    actor_role: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """A message from the department to the reporter, addressed by pseudonym and channels.
    The envelope's id is the timeline entry's id, so the two can be matched."""
    return Envelope(
        id=message_id,
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintReporterMessagePosted(
            complaint_id=complaint.id,
            message_id=message_id,
            tracking_code=complaint.tracking_code,
            department=complaint.department or "",
            body=body,
            actor=actor_name,
            actor_role=actor_role,
            reporter=complaint.reporter,
            posted_at=now,
        ),
    )


def _clean(text: str | None) -> str | None:
    # A reason made of zero-width or blank characters is no reason.
    return visible_or_none(text)


def received_event(
    *,
    complaint_id: UUID,
    tracking_code: str,
    department: str,
    reporter: ReporterRef | None,
    correlation_id: str | None,
    now: datetime,
) -> Envelope:
    """A complaint status knows both the submission and the routing of is received
    (`diterima`) at its department."""
    check_transition(None, "diterima")
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintStatusChanged(
            complaint_id=complaint_id,
            tracking_code=tracking_code,
            department=department,
            previous_status=None,
            status="diterima",
            actor=SYSTEM_ACTOR,
            reporter=reporter,
            changed_at=now,
        ),
    )