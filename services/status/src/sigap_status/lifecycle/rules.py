"""The complaint lifecycle as a pure state machine (which role may move a complaint from which
state to which), who may see and act on a complaint, and the refusals the rules make. Pure:
no I/O, no HTTP (errors.py maps each refusal's code to a problem response). Slightly over
400 lines on purpose: the transitions, who may make them and the refusals with their words are
one rule set, read and changed together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

from sigap_shared.auth import Role, StaffPrincipal, may_see_complaint
from sigap_shared.events import (
    REJECTION_REASONS,
    ComplaintStatus,
    ComplaintStatusChanged,
    Envelope,
    ReporterRef,
)
from sigap_shared.errors import Text
from sigap_shared.visible_text import visible_or_none
from sigap_status.errors import InvalidInput, StatusError

SOURCE = "sigap/status"
SYSTEM_ACTOR = "sistem"
REPORTER_ACTOR = "pelapor"

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


class LifecycleError(StatusError):
    """Base of every refusal the lifecycle makes."""


class IllegalTransition(LifecycleError):
    """The wanted state does not follow the current one (for this actor)."""

    def __init__(self, current: ComplaintStatus | None, wanted: str, allowed: Sequence[str] | None = None) -> None:
        self.current = current
        self.wanted = wanted
        self.allowed = sorted(TRANSITIONS.get(current, frozenset()) if allowed is None else allowed)
        listed = ", ".join(self.allowed) or "-"
        super().__init__(
            "illegal-transition",
            Text(
                f"Dari status {current} tidak bisa ke {wanted}. Yang diizinkan sekarang: {listed}.",
                f"From {current} you cannot move to {wanted}. Allowed now: {listed}.",
            ),
        )
        self.extensions = {"current_status": current, "allowed": list(self.allowed)}


class NotPermitted(LifecycleError):
    """The actor may see the complaint but not do this to it."""

    def __init__(self, message: Text) -> None:
        super().__init__("forbidden", message)


AUDITORS_READ_ONLY = Text("Auditor hanya dapat membaca.", "Auditors have read-only access.")
LEAD_DEPARTMENT_ONLY = Text(
    "Hanya dinas penanggung jawab utama yang dapat mengubah status pengaduan ini.",
    "Only the lead department changes a complaint's lifecycle.",
)
ADMINS_ASSIGN = Text(
    "Hanya admin dinas atau admin kota yang dapat menugaskan petugas lapangan.",
    "Only a department admin or the city admin assigns field officers.",
)
CITY_ADMIN_SEES_IDENTITY = Text(
    "Hanya admin kota yang dapat melihat identitas pelapor.",
    "Only the city admin may see a reporter's identity.",
)

ROLE_NAMES: dict[str, Text] = {
    "city_admin": Text("admin kota", "the city admin"),
    "dept_admin": Text("admin dinas", "a department admin"),
    "field_officer": Text("petugas lapangan", "a field officer"),
    "auditor": Text("auditor", "an auditor"),
    "dpo": Text("petugas pelindungan data", "the data protection officer"),
    "reporter": Text("pelapor", "the reporter"),
}
ROLES_IN_ORDER = ("dept_admin", "city_admin", "field_officer", "reporter", "auditor")


class MissingInformation(LifecycleError, InvalidInput):
    """A transition that needs more than the request gave (reason, resolution note, photo)."""

    def __init__(self, field: str, message: Text) -> None:
        InvalidInput.__init__(self, field, message)


class StaleVersion(LifecycleError):
    """The complaint changed since the client read it."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            "stale-version",
            Text(
                f"Pengaduan sudah diubah orang lain (versi {current}, Anda mengirim versi {expected}). "
                "Muat ulang lalu coba lagi.",
                f"Someone changed the complaint meanwhile (version {current}, you sent {expected}). "
                "Reload and try again.",
            ),
        )
        self.expected = expected
        self.current = current
        self.extensions = {"current_version": current, "expected_version": expected}


def may_ever(actor: str, wanted: str) -> bool:
    """Whether some state lets `actor` move a complaint to `wanted`."""
    return any(actor in actors for (_, to), actors in PERMITTED.items() if to == wanted)


def check_may_ever(actor: str, wanted: str) -> None:
    """A change the actor's role may make from no state at all is a matter of permission
    (403), not of the complaint's state (409, where reloading may help)."""
    if may_ever(actor, wanted):
        return
    who = ROLE_NAMES.get(actor, Text(actor, actor))
    may = [ROLE_NAMES[role] for role in ROLES_IN_ORDER if may_ever(role, wanted)]
    may_id = " atau ".join(role.id for role in may) or "sistem"
    may_en = " or ".join(role.en for role in may) or "the system"
    raise NotPermitted(
        Text(
            f"{who.id[0].upper() + who.id[1:]} tidak berwenang mengubah status pengaduan menjadi {wanted}; "
            f"hanya {may_id} yang dapat melakukannya.",
            f"{who.en[0].upper() + who.en[1:]} may never move a complaint to {wanted}; only {may_en} may.",
        )
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
        raise NotPermitted(AUDITORS_READ_ONLY)
    if staff.role == "city_admin":
        return
    if complaint.department != staff.department:
        raise NotPermitted(LEAD_DEPARTMENT_ONLY)


def check_may_assign(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    check_may_act(staff, complaint)
    if staff.role == "field_officer":
        raise NotPermitted(ADMINS_ASSIGN)


def check_may_reveal_identity(staff: StaffPrincipal, complaint: ComplaintView) -> None:
    """Only the city admin may see who a reporter is (callers first check `can_see`, so other
    staff get 404 for complaints they cannot see and this refusal only for those they can)."""
    if staff.role != "city_admin":
        raise NotPermitted(CITY_ADMIN_SEES_IDENTITY)


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
    _check_needs(complaint, request, reason=reason, resolution_note=resolution_note)
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


def _check_needs(
    complaint: ComplaintView, request: TransitionRequest, *, reason: str | None, resolution_note: str | None
) -> None:
    """What a transition needs besides being allowed: a known rejection reason (and the
    original of a duplicate), a resolution note and after-photos to finish, a reason to reopen."""
    if request.to == "ditolak":
        if reason not in REJECTION_REASONS:
            raise MissingInformation(
                "reason",
                Text(
                    "Alasan penolakan wajib diisi: " + ", ".join(REJECTION_REASONS),
                    "A rejection reason is required: " + ", ".join(REJECTION_REASONS),
                ),
            )
        if reason == "duplicate" and request.duplicate_of is None:
            raise MissingInformation(
                "duplicate_of",
                Text(
                    "Sebutkan pengaduan asli (duplicate_of) untuk penolakan karena duplikat",
                    "Name the original complaint (duplicate_of) when rejecting as a duplicate",
                ),
            )
        if request.duplicate_of == complaint.id:
            raise MissingInformation(
                "duplicate_of",
                Text(
                    "Pengaduan tidak bisa menjadi duplikat dirinya sendiri",
                    "A complaint cannot be a duplicate of itself",
                ),
            )
    if request.to == "selesai":
        if not resolution_note:
            raise MissingInformation(
                "resolution_note",
                Text(
                    "Catatan penyelesaian wajib diisi untuk menyelesaikan pengaduan",
                    "A resolution note is required to finish a complaint",
                ),
            )
        if not request.after_photo_ids:
            raise MissingInformation(
                "after_photo_ids",
                Text(
                    "Minimal satu foto sesudah penanganan wajib dilampirkan",
                    "At least one after-photo is required",
                ),
            )
        if len(set(request.after_photo_ids)) != len(request.after_photo_ids):
            raise MissingInformation(
                "after_photo_ids",
                Text(
                    "Foto sesudah penanganan yang sama disebut lebih dari sekali",
                    "The same after-photo is listed more than once",
                ),
            )
    if request.to == "dibuka_kembali" and not reason:
        raise MissingInformation(
            "reason",
            Text(
                "Alasan membuka kembali pengaduan wajib diisi",
                "A reason is required to reopen a complaint",
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
            Text(
                "Pengaduan asli sudah ditolak; gabungkan ke pengaduan yang ditangani",
                "The original complaint was rejected; merge into one that is being handled",
            ),
        )
    if submitted_at is not None and original_submitted_at is not None and original_submitted_at > submitted_at:
        raise MissingInformation(
            "duplicate_of",
            Text(
                "Pengaduan hanya bisa digabungkan ke pengaduan yang lebih awal",
                "A complaint can only be merged into an earlier one",
            ),
        )


class AfterPhotosNotLive(LifecycleError):
    """None of the after-photos was taken live; `failed` says which photo failed and why."""

    def __init__(self, failed: Sequence[tuple[UUID, str, tuple[str, ...]]]) -> None:
        self.failed = list(failed)
        listed = ", ".join(
            f"{photo_id} ({verdict}: {', '.join(reasons) or '-'})" for photo_id, verdict, reasons in self.failed
        )
        super().__init__(
            "after-photo-not-live",
            Text(
                f"Minimal satu foto sesudah penanganan harus diambil langsung dengan kamera. Tidak lolos: {listed}.",
                f"At least one after-photo must be taken live with the camera. Failed: {listed}.",
            ),
        )
        self.extensions = {
            "errors": [
                {
                    "field": f"after_photo_ids[{index}]",
                    "in": "body",
                    "photo_id": str(photo_id),
                    "verdict": verdict,
                    "reasons": list(reasons),
                    "message": Text(f"foto tidak lolos pemeriksaan ({verdict})", f"photo failed the check ({verdict})"),
                }
                for index, (photo_id, verdict, reasons) in enumerate(self.failed)
            ]
        }


LIVE_VERDICT = "verified_live"


def check_after_photos_live(verdicts: Sequence[tuple[UUID, str, tuple[str, ...]]]) -> None:
    """Finishing needs at least one after-photo that intake verified as taken live
    (verdicts are (photo id, verdict, reasons))."""
    if not any(verdict == LIVE_VERDICT for _, verdict, _ in verdicts):
        raise AfterPhotosNotLive([entry for entry in verdicts if entry[1] != LIVE_VERDICT])


def _clean(text: str | None) -> str | None:
    # A reason made of zero-width or blank characters is no reason.
    return visible_or_none(text)
