"""Status's HTTP API: the public-safe complaint view, staff login, the department queue and
the lifecycle commands. Thin: parse, call a handler, map domain errors to problem+json."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.auth import (
    AuthError,
    StaffAccount,
    StaffPrincipal,
    account_refused,
    check_account,
    current_staff,
)
from sigap_shared.events import ComplaintStatus
from sigap_shared.problems import Problem, Text, invalid_input
from sigap_shared.runtime import Conn
from sigap_shared.storable import SaneDate
from sigap_shared.visible_text import trim_invisible, visible_length, visible_or_none
from sigap_status import accounts, domain, handlers, repository
from sigap_status.intake_client import IntakeClient, IntakeRefused, IntakeUnavailable
from sigap_status.queue import BadCursor, QueueFilter, SlaState, Sort, decode_cursor, encode_cursor, page_of
from sigap_status.settings import StatusSettings
from sigap_status.sla import WIB, SlaPolicy, WorkingCalendar, parse_extra_days, sla_state, working_days_left

router = APIRouter(prefix="/v1", tags=["complaints"])


def sla_policy_from_settings(settings: StatusSettings) -> SlaPolicy:
    return SlaPolicy(
        calendar=WorkingCalendar(
            extra_days_off=parse_extra_days(settings.sla_extra_days_off),
            holiday_categories=tuple(settings.sla_holiday_categories),
        ),
        verify_days=settings.sla_verify_days,
        finish_days=settings.sla_finish_days,
        per_category=dict(settings.sla_category_days),
    )


async def get_policy(request: Request) -> SlaPolicy:
    policy = getattr(request.app.state, "sla_policy", None)
    if policy is None:
        policy = request.app.state.sla_policy = sla_policy_from_settings(request.app.state.settings)
    return policy


Policy = Annotated[SlaPolicy, Depends(get_policy)]


async def get_intake(request: Request) -> IntakeClient | None:
    """Intake's internal API client that bootstrap built (None when no URL is configured,
    which only development and tests allow)."""
    return getattr(request.app.state, "intake_client", None)


Intake = Annotated[IntakeClient | None, Depends(get_intake)]


def _intake_unavailable() -> Problem:
    return Problem(
        status=503,
        slug="intake-unavailable",
        title=Text("Layanan pengaduan (intake) tidak tersedia", "The intake service is unavailable"),
        detail=Text(
            "Foto dan identitas pelapor disimpan di layanan intake, yang saat ini tidak dapat dihubungi. "
            "Tidak ada yang diubah; coba lagi sebentar lagi.",
            "Photos and reporter identities live in the intake service, which cannot be reached right now. "
            "Nothing was changed; try again shortly.",
        ),
        headers={"Retry-After": "30"},
    )


def _not_found(complaint_id: UUID) -> Problem:
    return Problem(
        status=404,
        slug="complaint-not-found",
        title=Text("Pengaduan tidak ditemukan", "Complaint not found"),
        detail=Text(
            f"Tidak ada pengaduan dengan id {complaint_id} (atau belum sampai ke layanan status).",
            f"No complaint with id {complaint_id} (or it has not reached the status service yet).",
        ),
    )


async def active_staff(request: Request, conn: Conn) -> StaffPrincipal:
    """A valid access token whose account is still active with the same role and department,
    so deactivating an account takes effect at once rather than when its token expires."""
    principal = await current_staff(request)
    user = await repository.get_staff_user(conn=conn, username=principal.username)
    account = (
        None
        if user is None
        else StaffAccount(username=user["username"], role=user["role"], department=user["department"], active=user["active"])
    )
    try:
        check_account(principal, account)
    except AuthError as exc:
        raise account_refused(exc) from None
    return principal


Staff = Annotated[StaffPrincipal, Depends(active_staff)]


# -- public-safe view -----------------------------------------------------------------------


class TimelineEntry(BaseModel):
    event_id: UUID
    type: str
    at: datetime
    actor: str
    detail: dict[str, Any]


class ComplaintOut(BaseModel):
    """The public view: no tracking code (with the follow-up token it is the reporter's own
    key at intake), no identities, no staff names."""

    id: UUID
    kind: str | None
    category: str | None
    department: str | None
    status: str | None
    version: int
    submitted_at: datetime | None
    updated_at: datetime
    timeline: list[TimelineEntry]


_PUBLIC_ACTORS = {domain.SYSTEM_ACTOR, domain.REPORTER_ACTOR}
_PUBLIC_DETAIL = {
    "kind",
    "category",
    "privacy",
    "department",
    "confidence",
    "needs_triage",
    "reasons",
    "from",
    "to",
    "reason",
    "resolution_note",
    "stage",
    "due_at",
    "body",
}


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintOut,
    summary="A public complaint's status and timeline (only publik complaints whose reporter agreed to be "
    "listed; no tracking code, no identities, no staff names)",
)
async def get_complaint(complaint_id: UUID, conn: Conn) -> ComplaintOut:
    row = await repository.get_public_complaint(conn=conn, complaint_id=complaint_id)
    if row is None:
        raise _not_found(complaint_id)
    timeline = await repository.get_timeline(conn=conn, complaint_id=complaint_id)
    return ComplaintOut(
        **{key: row[key] for key in ComplaintOut.model_fields if key != "timeline"},
        timeline=[
            TimelineEntry(
                event_id=entry["event_id"],
                type=entry["event_type"],
                at=entry["occurred_at"],
                actor=entry["actor"] if entry["actor"] in _PUBLIC_ACTORS else "petugas",
                detail={k: v for k, v in orjson.loads(entry["detail"]).items() if k in _PUBLIC_DETAIL},
            )
            for entry in timeline
            if entry["event_type"] not in handlers.INTERNAL_EVENT_TYPES
        ],
    )


# -- staff sessions -------------------------------------------------------------------------


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=256)


class SessionOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    username: str
    role: str
    department: str | None


class MeOut(BaseModel):
    username: str
    role: str
    department: str | None


def _session_out(session: handlers.Session) -> SessionOut:
    return SessionOut(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
        username=session.principal.username,
        role=session.principal.role,
        department=session.principal.department,
    )


def _token_settings(request: Request) -> dict[str, Any]:
    settings: StatusSettings = request.app.state.settings
    return {
        "secret": settings.jwt_secret.get_secret_value(),
        "access_ttl_s": settings.jwt_access_ttl_s,
        "refresh_ttl_s": settings.refresh_ttl_s,
    }


def _login_limits(request: Request) -> accounts.LoginLimits:
    settings: StatusSettings = request.app.state.settings
    return accounts.LoginLimits(
        max_per_username=settings.login_max_failures_per_username,
        max_per_ip=settings.login_max_failures_per_ip,
        window_s=settings.login_failure_window_s,
    )


@router.post(
    "/auth/login",
    response_model=SessionOut,
    tags=["auth"],
    summary="Staff login (repeated failures per username or client address are throttled: 429)",
)
async def login(body: LoginIn, request: Request, conn: Conn) -> SessionOut:
    try:
        session = await handlers.login(
            conn=conn,
            username=body.username,
            password=body.password,
            client_ip=request.client.host if request.client else None,
            limits=_login_limits(request),
            **_token_settings(request),
        )
    except handlers.LoginThrottled as throttled:
        minutes = max(1, -(-throttled.retry_after_s // 60))
        raise Problem(
            status=429,
            slug="too-many-login-attempts",
            title=Text("Terlalu banyak percobaan login", "Too many login attempts"),
            detail=Text(
                f"Terlalu banyak login gagal untuk akun ini atau dari alamat ini. Coba lagi dalam {minutes} menit.",
                f"Too many failed logins for this account or from this address. Try again in {minutes} minute(s).",
            ),
            headers={"Retry-After": str(throttled.retry_after_s)},
            retry_after_s=throttled.retry_after_s,
        ) from None
    except handlers.InvalidCredentials:
        raise Problem(
            status=401,
            slug="invalid-credentials",
            title=Text("Login gagal", "Login failed"),
            detail=Text(
                "Nama pengguna atau kata sandi salah, atau akun tidak aktif.",
                "Wrong username or password, or the account is not active.",
            ),
        ) from None
    return _session_out(session)


@router.post("/auth/refresh", response_model=SessionOut, tags=["auth"], summary="Rotate a refresh token")
async def refresh(body: RefreshIn, request: Request, conn: Conn) -> SessionOut:
    try:
        session = await handlers.refresh(conn=conn, refresh_token=body.refresh_token, **_token_settings(request))
    except handlers.InvalidRefreshToken:
        raise Problem(
            status=401,
            slug="invalid-refresh-token",
            title=Text("Sesi tidak berlaku", "Session is not valid"),
            detail=Text(
                "Refresh token tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa. Silakan login kembali.",
                "The refresh token is unknown, already used, revoked or expired. Please log in again.",
            ),
        ) from None
    return _session_out(session)


@router.get("/auth/me", response_model=MeOut, tags=["auth"], summary="Who the access token belongs to")
async def me(staff: Staff) -> MeOut:
    return MeOut(username=staff.username, role=staff.role, department=staff.department)


# -- staff view and lifecycle ---------------------------------------------------------------


class StaffTimelineEntry(BaseModel):
    event_id: UUID
    type: str
    at: datetime
    actor: str
    detail: dict[str, Any]


class StaffComplaintOut(BaseModel):
    id: UUID
    tracking_code: str
    kind: str | None
    category: str | None
    title: str | None
    description: str | None
    address: str | None
    kelurahan: str | None
    lat: float | None = None
    lon: float | None = None
    privacy: str | None
    department: str | None
    supporting_departments: list[str]
    status: str | None
    version: int
    assigned_officer: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    verified_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    resolution_note: str | None
    after_photo_ids: list[UUID]
    rejection_reason: str | None
    duplicate_of: UUID | None
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_breached_at: datetime | None
    sla_paused_at: datetime | None
    sla_state: str
    # Working days the running deadline leaves (0: due today; negative: days overdue).
    sla_working_days_left: int | None = None
    allowed_transitions: list[str]
    timeline: list[StaffTimelineEntry] | None = None


def _staff_out(
    row: Any, staff: StaffPrincipal, timeline: list[Any] | None = None, *, calendar: WorkingCalendar | None = None
) -> StaffComplaintOut:
    view = handlers.complaint_view(row)
    now = datetime.now(UTC)
    try:
        domain.check_may_act(staff, view)
        allowed = domain.allowed_transitions(view.status, staff.role)
    except domain.NotPermitted:
        allowed = []
    fields = {key: row[key] for key in StaffComplaintOut.model_fields if key in row.keys()}
    fields["supporting_departments"] = list(row["supporting_departments"] or ())
    fields["after_photo_ids"] = list(row["after_photo_ids"] or ())
    return StaffComplaintOut(
        **fields,
        sla_state=sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None),
        sla_working_days_left=None
        if calendar is None or row["sla_paused_at"] is not None
        else working_days_left(calendar, due_at=row["sla_due_at"], now=now),
        allowed_transitions=allowed,
        timeline=None
        if timeline is None
        else [
            StaffTimelineEntry(
                event_id=entry["event_id"],
                type=entry["event_type"],
                at=entry["occurred_at"],
                actor=entry["actor"],
                detail=orjson.loads(entry["detail"]),
            )
            for entry in timeline
        ],
    )


@router.get(
    "/staff/complaints/{complaint_id}",
    response_model=StaffComplaintOut,
    tags=["staff"],
    summary="A complaint as staff see it, with its full timeline",
)
async def get_staff_complaint(complaint_id: UUID, staff: Staff, conn: Conn, policy: Policy) -> StaffComplaintOut:
    try:
        row = await handlers.load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    timeline = await repository.get_timeline(conn=conn, complaint_id=complaint_id)
    return _staff_out(row, staff, timeline, calendar=policy.calendar)


class ReporterIdentityOut(BaseModel):
    complaint_id: UUID
    privacy: str
    name: str | None
    phone: str | None
    email: str | None
    audit_id: UUID


@router.get(
    "/staff/complaints/{complaint_id}/reporter-identity",
    response_model=ReporterIdentityOut,
    tags=["staff"],
    summary="Who the reporter is (city admin only; every look is audited at intake and shown in the timeline)",
)
async def get_reporter_identity(
    complaint_id: UUID,
    staff: Staff,
    conn: Conn,
    intake: Intake,
    response: Response,
    reason: Annotated[str, Query(min_length=5, max_length=500, description="Why the identity is needed (audited)")],
) -> ReporterIdentityOut:
    reason = trim_invisible(reason)
    if visible_length(reason) < 5:
        raise invalid_input(
            field="reason",
            location="query",
            message=Text("alasan terlalu pendek", "reason too short"),
            detail=Text(
                "Alasan wajib diisi: 5-500 karakter yang terlihat.", "A reason is required: 5-500 visible characters."
            ),
        )
    try:
        identity = await handlers.reveal_reporter_identity(
            conn=conn, staff=staff, complaint_id=complaint_id, reason=reason, intake=intake
        )
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    except domain.LifecycleError as error:
        raise _lifecycle_problem(error) from None
    except IntakeUnavailable:
        raise _intake_unavailable() from None
    except IntakeRefused as refusal:
        if refusal.status == 404:
            raise Problem(
                status=404,
                slug="identity-not-found",
                title=Text("Identitas pelapor tidak ditemukan", "Reporter identity not found"),
                detail=Text(
                    "Layanan intake tidak mengenal pengaduan ini.", "The intake service does not know this complaint."
                ),
            ) from None
        if refusal.status == 403:
            raise _lifecycle_problem(domain.NotPermitted("only the city admin may see a reporter's identity")) from None
        raise invalid_input(
            field="reason",
            location="query",
            message=Text("alasan tidak valid", "invalid reason"),
            detail=Text("Alasan wajib diisi (5-500 karakter).", "A reason is required (5-500 characters)."),
        ) from None
    response.headers["Cache-Control"] = "no-store"
    return ReporterIdentityOut(
        complaint_id=identity.complaint_id,
        privacy=identity.privacy,
        name=identity.name,
        phone=identity.phone,
        email=identity.email,
        audit_id=identity.audit_id,
    )


class DuplicateCandidate(BaseModel):
    id: UUID
    tracking_code: str
    status: str | None
    department: str | None
    kelurahan: str | None
    submitted_at: datetime | None
    distance_m: float


@router.get(
    "/staff/complaints/{complaint_id}/duplicate-candidates",
    response_model=list[DuplicateCandidate],
    tags=["staff"],
    summary="Earlier open complaints of the same category nearby: candidates to merge this one into",
)
async def get_duplicate_candidates(
    complaint_id: UUID, staff: Staff, conn: Conn, request: Request
) -> list[DuplicateCandidate]:
    try:
        row = await handlers.load_visible(conn=conn, staff=staff, complaint_id=complaint_id)
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    if row["lat"] is None or row["category"] is None or row["submitted_at"] is None:
        return []
    candidates = await repository.nearby_open_complaints(
        conn=conn,
        complaint_id=complaint_id,
        category=row["category"],
        lat=row["lat"],
        lon=row["lon"],
        kelurahan=row["kelurahan"],
        before=row["submitted_at"],
        distance_m=request.app.state.settings.duplicate_distance_m,
    )
    # Only what this staff member may see is suggested (no existence leak across departments).
    # Merging is the admins' desk; field officers get no suggestions.
    visible = [
        candidate
        for candidate in candidates
        if staff.is_city_wide or (staff.role == "dept_admin" and candidate["department"] == staff.department)
    ]
    return [
        DuplicateCandidate(**{key: candidate[key] for key in DuplicateCandidate.model_fields}) for candidate in visible
    ]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: ComplaintStatus
    expected_version: int = Field(ge=0)
    reason: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=4000)
    duplicate_of: UUID | None = None
    resolution_note: str | None = Field(default=None, max_length=4000)
    # Intake claims at most 5 after-photos per complaint (INTAKE_CONTRACT.md §1).
    after_photo_ids: list[UUID] = Field(default_factory=list, max_length=5)


def _lifecycle_problem(error: domain.LifecycleError) -> Problem:
    if isinstance(error, domain.StaleVersion):
        return Problem(
            status=409,
            slug="stale-version",
            title=Text("Pengaduan sudah berubah", "The complaint has changed"),
            detail=Text(
                f"Pengaduan sudah diubah orang lain (versi {error.current}, Anda mengirim versi {error.expected}). "
                "Muat ulang lalu coba lagi.",
                f"Someone changed the complaint meanwhile (version {error.current}, you sent {error.expected}). "
                "Reload and try again.",
            ),
            current_version=error.current,
            expected_version=error.expected,
        )
    if isinstance(error, domain.IllegalTransition):
        allowed = ", ".join(error.allowed) or "-"
        return Problem(
            status=409,
            slug="illegal-transition",
            title=Text("Perubahan status tidak diizinkan", "Status change not allowed"),
            detail=Text(
                f"Dari status {error.current} tidak bisa ke {error.wanted}. Yang diizinkan sekarang: {allowed}.",
                f"From {error.current} you cannot move to {error.wanted}. Allowed now: {allowed}.",
            ),
            current_status=error.current,
            allowed=list(error.allowed),
        )
    if isinstance(error, domain.NotPermitted):
        return Problem(
            status=403,
            slug="forbidden",
            title=Text("Tidak berwenang", "Not permitted"),
            detail=Text(
                {
                    "auditors have read-only access": "Auditor hanya dapat membaca.",
                    "only the lead department changes a complaint's lifecycle": "Hanya dinas penanggung jawab utama "
                    "yang dapat mengubah status pengaduan ini.",
                    "only a department admin or the city admin assigns field officers": "Hanya admin dinas atau "
                    "admin kota yang dapat menugaskan petugas lapangan.",
                    "only the city admin may see a reporter's identity": "Hanya admin kota yang dapat melihat "
                    "identitas pelapor.",
                }.get(error.reason, error.reason_id or "Anda tidak berwenang melakukan ini."),
                error.reason[0].upper() + error.reason[1:] + ".",
            ),
        )
    if isinstance(error, domain.AfterPhotosNotLive):
        failed = ", ".join(
            f"{photo_id} ({verdict}: {', '.join(reasons) or '-'})" for photo_id, verdict, reasons in error.failed
        )
        return Problem(
            status=422,
            slug="after-photo-not-live",
            title=Text("Foto sesudah penanganan tidak diterima", "After-photos not accepted"),
            detail=Text(
                f"Minimal satu foto sesudah penanganan harus diambil langsung dengan kamera. Tidak lolos: {failed}.",
                f"At least one after-photo must be taken live with the camera. Failed: {failed}.",
            ),
            errors=[
                {
                    "field": f"after_photo_ids[{index}]",
                    "in": "body",
                    "photo_id": str(photo_id),
                    "verdict": verdict,
                    "reasons": list(reasons),
                    "message": Text(f"foto tidak lolos pemeriksaan ({verdict})", f"photo failed the check ({verdict})"),
                }
                for index, (photo_id, verdict, reasons) in enumerate(error.failed)
            ],
        )
    assert isinstance(error, domain.MissingInformation)
    return invalid_input(
        field=error.field,
        location="body",
        message=Text(error.message_id, error.message_en),
        detail=Text(error.message_id, error.message_en),
    )


@router.post(
    "/complaints/{complaint_id}/transitions",
    response_model=StaffComplaintOut,
    tags=["staff"],
    summary="Move a complaint along its lifecycle",
)
async def post_transition(
    complaint_id: UUID, body: TransitionIn, staff: Staff, conn: Conn, policy: Policy, intake: Intake, request: Request
) -> StaffComplaintOut:
    try:
        row = await handlers.transition_complaint(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            request=domain.TransitionRequest(
                to=body.to,
                expected_version=body.expected_version,
                reason=body.reason,
                note=body.note,
                duplicate_of=body.duplicate_of,
                resolution_note=body.resolution_note,
                after_photo_ids=tuple(body.after_photo_ids),
            ),
            policy=policy,
            intake=intake,
            correlation_id=request.headers.get("x-correlation-id"),
        )
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    except domain.LifecycleError as error:
        raise _lifecycle_problem(error) from None
    except IntakeUnavailable:
        raise _intake_unavailable() from None
    except IntakeRefused as refusal:
        raise _after_photo_refusal(refusal, body.after_photo_ids) from None
    return _staff_out(row, staff)


def _after_photo_refusal(refusal: IntakeRefused, photo_ids: list[UUID]) -> Problem:
    """Intake's 404 (unknown photo) and 409 (photo already used elsewhere) in this API's terms."""
    if refusal.status == 404 and "complaint_id" in refusal.fields:
        # Status knows the complaint but intake does not (yet): nothing the client can fix by
        # changing its photos, so a conflict rather than a validation error.
        return Problem(
            status=409,
            slug="complaint-unknown-at-intake",
            title=Text("Pengaduan belum dikenal layanan foto", "The photo service does not know this complaint"),
            detail=Text(
                "Layanan intake belum mengenal pengaduan ini, jadi foto sesudah penanganan belum bisa dikaitkan. "
                "Coba lagi nanti atau hubungi admin kota.",
                "The intake service does not know this complaint yet, so after-photos cannot be attached. "
                "Try again later or contact the city admin.",
            ),
        )
    named = [field for field in refusal.fields if any(str(photo_id) in field for photo_id in photo_ids)]
    which = ", ".join(named) or ", ".join(str(photo_id) for photo_id in photo_ids)
    errors = [
        {
            "field": "after_photo_ids",
            "in": "body",
            "photo_id": field,
            "message": Text("foto bermasalah", "photo refused"),
        }
        for field in named
    ]
    if refusal.status == 409:
        return Problem(
            status=409,
            slug="after-photo-in-use",
            title=Text("Foto sudah dipakai", "Photo already in use"),
            detail=Text(
                f"Foto sesudah penanganan sudah menjadi bukti pelapor atau foto pengaduan lain: {which}. "
                "Ambil foto baru.",
                f"An after-photo is already a reporter's evidence or another complaint's after-photo: {which}. "
                "Take a new photo.",
            ),
            errors=errors,
        )
    return Problem(
        status=422,
        slug="after-photo-unknown" if refusal.status == 404 else "validation-error",
        title=Text("Foto sesudah penanganan tidak dikenal", "Unknown after-photo")
        if refusal.status == 404
        else Text("Data yang dikirim tidak valid", "The submitted data is not valid"),
        detail=Text(
            f"Layanan foto tidak mengenal atau menolak foto ini: {which}. Unggah ulang foto lewat sesi kamera.",
            f"The photo service does not know or refused these photos: {which}. Upload them again through a "
            "capture session.",
        ),
        errors=errors
        or [{"field": "after_photo_ids", "in": "body", "message": Text("foto tidak dikenal", "unknown photo")}],
    )


class WaitingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waiting: bool
    expected_version: int = Field(ge=0)


@router.put(
    "/complaints/{complaint_id}/waiting-for-reporter",
    response_model=StaffComplaintOut,
    tags=["staff"],
    summary="Pause the running SLA deadline while waiting for the reporter (true), or resume it (false)",
)
async def put_waiting(
    complaint_id: UUID, body: WaitingIn, staff: Staff, conn: Conn, policy: Policy
) -> StaffComplaintOut:
    try:
        row = await handlers.set_waiting_for_reporter(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            waiting=body.waiting,
            expected_version=body.expected_version,
            policy=policy,
        )
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    except handlers.NoRunningDeadline:
        raise Problem(
            status=409,
            slug="no-running-deadline",
            title=Text("Tenggat tidak bisa diubah", "The deadline cannot be changed"),
            detail=Text(
                "Tidak ada tenggat yang berjalan, atau tenggat sudah dalam keadaan yang diminta.",
                "No deadline is running, or it is already in the requested state.",
            ),
        ) from None
    except domain.LifecycleError as error:
        raise _lifecycle_problem(error) from None
    return _staff_out(row, staff)


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer: str | None = Field(max_length=64)
    expected_version: int = Field(ge=0)


@router.put(
    "/complaints/{complaint_id}/assignment",
    response_model=StaffComplaintOut,
    tags=["staff"],
    summary="Assign, reassign or (with null) unassign a field officer",
)
async def put_assignment(complaint_id: UUID, body: AssignmentIn, staff: Staff, conn: Conn) -> StaffComplaintOut:
    try:
        row = await handlers.assign_complaint(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            officer=body.officer,
            expected_version=body.expected_version,
        )
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    except handlers.UnknownOfficer:
        raise invalid_input(
            field="officer",
            location="body",
            message=Text("petugas tidak dikenal", "unknown officer"),
            detail=Text(
                f"{body.officer} bukan petugas lapangan aktif dari dinas penanggung jawab.",
                f"{body.officer} is not an active field officer of the lead department.",
            ),
        ) from None
    except domain.LifecycleError as error:
        raise _lifecycle_problem(error) from None
    return _staff_out(row, staff)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)
    visibility: Literal["internal", "reporter"] = "internal"
    photo_ids: list[UUID] = Field(default_factory=list, max_length=10)


class NoteOut(BaseModel):
    id: UUID
    visibility: str


@router.post(
    "/complaints/{complaint_id}/notes",
    response_model=NoteOut,
    status_code=201,
    tags=["staff"],
    summary="Add an internal note (e.g. an officer's progress, with photos) or a message to the reporter",
)
async def post_note(complaint_id: UUID, body: NoteIn, staff: Staff, conn: Conn) -> NoteOut:
    text = visible_or_none(body.body)
    if text is None:
        raise invalid_input(
            field="body",
            location="body",
            message=Text("wajib diisi", "is required"),
            detail=Text("Isi catatan tidak boleh kosong.", "The note must not be empty."),
        )
    try:
        entry_id = await handlers.add_note(
            conn=conn,
            staff=staff,
            complaint_id=complaint_id,
            body=text,
            visibility=body.visibility,
            photo_ids=list(body.photo_ids),
        )
    except handlers.ComplaintNotVisible:
        raise _not_found(complaint_id) from None
    except domain.LifecycleError as error:
        raise _lifecycle_problem(error) from None
    return NoteOut(id=entry_id, visibility=body.visibility)


# -- department queue -----------------------------------------------------------------------


class QueueItem(BaseModel):
    id: UUID
    tracking_code: str
    kind: str | None
    category: str | None
    title: str | None
    department: str | None
    supporting_departments: list[str]
    status: str | None
    version: int
    kelurahan: str | None
    assigned_officer: str | None
    submitted_at: datetime | None
    updated_at: datetime
    sla_stage: str | None
    sla_due_at: datetime | None
    sla_state: str
    # Working days the running deadline leaves (0: due today; negative: days overdue).
    sla_working_days_left: int | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


def _visible_department(staff: StaffPrincipal, department: str | None) -> str | None:
    """The department whose queue or figures the caller asked for: any (or all, with None)
    for city-wide roles, only their own for department staff."""
    if staff.is_city_wide:
        return department
    if department is not None and department != staff.department:
        raise Problem(
            status=403,
            slug="forbidden",
            title=Text("Tidak berwenang", "Not permitted"),
            detail=Text(
                "Petugas dinas hanya dapat melihat antrean dan angka dinasnya sendiri.",
                "Department staff can only see their own department's queue and figures.",
            ),
        )
    return staff.department


async def queue_filter(
    staff: Staff,
    status: Annotated[list[ComplaintStatus] | None, Query(max_length=6)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    kelurahan: Annotated[str | None, Query(max_length=64)] = None,
    sla_state_filter: Annotated[SlaState | None, Query(alias="sla_state")] = None,
    officer: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    sort: Sort = "oldest",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> QueueFilter:
    """The queue's query parameters, narrowed to what the caller may see."""
    department = _visible_department(staff, department)
    if staff.role == "field_officer":
        officer = staff.username
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, sort=sort)
        except BadCursor as exc:
            raise invalid_input(
                field="cursor",
                location="query",
                message=Text("cursor tidak valid", "invalid cursor"),
                detail=Text("Cursor halaman tidak valid; mulai lagi dari halaman pertama.", f"Invalid cursor: {exc}."),
            ) from None
    return QueueFilter(
        department=department,
        statuses=tuple(status or ()),
        category=category,
        kelurahan=kelurahan,
        sla_state=sla_state_filter,
        assigned_officer=officer,
        text=(q or "").strip() or None,
        sort=sort,
        limit=limit,
        after=after,
    )


QueueQuery = Annotated[QueueFilter, Depends(queue_filter)]


@router.get("/staff/queue", response_model=QueuePage, tags=["staff"], summary="The department queue")
async def get_queue(queue_filter: QueueQuery, conn: Conn, policy: Policy) -> QueuePage:
    now = datetime.now(UTC)
    rows, cursor_to_next = page_of(
        queue_filter, await repository.list_queue(conn=conn, queue_filter=queue_filter, now=now)
    )
    return QueuePage(
        items=[
            QueueItem(
                **{
                    key: row[key]
                    for key in QueueItem.model_fields
                    if key not in ("sla_state", "supporting_departments", "sla_working_days_left")
                },
                supporting_departments=list(row["supporting_departments"] or ()),
                sla_state=sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None),
                sla_working_days_left=None
                if row["sla_paused_at"] is not None
                else working_days_left(policy.calendar, due_at=row["sla_due_at"], now=now),
            )
            for row in rows
        ],
        next_cursor=cursor_to_next,
    )


CSV_MAX_ROWS = 10_000
CSV_COLUMNS = (
    "tracking_code",
    "status",
    "category",
    "department",
    "kelurahan",
    "title",
    "assigned_officer",
    "submitted_at",
    "sla_stage",
    "sla_due_at",
    "sla_state",
)


@router.get(
    "/staff/queue.csv",
    tags=["staff"],
    summary=f"The filtered queue as CSV (first {CSV_MAX_ROWS:,} rows; same parameters as the queue)",
    response_class=Response,
)
async def get_queue_csv(queue_filter: QueueQuery, conn: Conn) -> Response:
    now = datetime.now(UTC)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    page_filter = replace(queue_filter, limit=500)
    written = 0
    while written < CSV_MAX_ROWS:
        rows, cursor_to_next = page_of(
            page_filter, await repository.list_queue(conn=conn, queue_filter=page_filter, now=now)
        )
        for row in rows[: CSV_MAX_ROWS - written]:
            values = {key: row[key] for key in CSV_COLUMNS if key != "sla_state"}
            values["sla_state"] = sla_state(due_at=row["sla_due_at"], now=now, paused=row["sla_paused_at"] is not None)
            writer.writerow(
                [
                    _csv_safe(values[key].isoformat() if isinstance(values[key], datetime) else values[key])
                    for key in CSV_COLUMNS
                ]
            )
        written += len(rows)
        if cursor_to_next is None:
            break
        page_filter = replace(page_filter, after=decode_cursor(cursor_to_next, sort=page_filter.sort))
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="antrean-pengaduan.csv"'},
    )


def _csv_safe(value: Any) -> Any:
    # Spreadsheet formula injection: citizen-written text must never start a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


# -- statistics and public transparency -----------------------------------------------------


class StatisticsOut(BaseModel):
    since: date
    until: date
    department: str | None
    counts: list[dict[str, Any]]
    durations: list[dict[str, Any]]
    sla_compliance: list[dict[str, Any]]


def _period(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or datetime.now(WIB).date() + timedelta(days=1)
    since = since or until - timedelta(days=365)
    if since >= until or (until - since).days > 3 * 366:
        raise invalid_input(
            field="since",
            location="query",
            message=Text("periode tidak valid", "invalid period"),
            detail=Text(
                "Periode harus diawali sebelum berakhir dan paling lama 3 tahun.",
                "The period must start before it ends and span at most 3 years.",
            ),
        )
    return since, until


async def _statistics(conn: Any, department: str | None, since: date, until: date) -> dict[str, list[dict[str, Any]]]:
    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=WIB)

    raw = await repository.statistics(conn=conn, department=department, since=start_of(since), until=start_of(until))
    return {
        "counts": [dict(row) for row in raw["counts"]],
        "durations": [
            {
                "department": row["department"],
                "verified": row["verified"],
                "finished": row["finished"],
                **{
                    f"{key.removesuffix('_s')}_hours": None if row[key] is None else round(row[key] / 3600, 2)
                    for key in ("verify_p50_s", "verify_p90_s", "finish_p50_s", "finish_p90_s")
                },
            }
            for row in raw["durations"]
        ],
        "sla_compliance": [
            {**dict(row), "rate": round(row["within_sla"] / row["received"], 4) if row["received"] else None}
            for row in raw["compliance"]
        ],
    }


@router.get(
    "/staff/statistics", response_model=StatisticsOut, tags=["staff"], summary="Counts, times and SLA compliance"
)
async def get_statistics(
    staff: Staff,
    conn: Conn,
    since: SaneDate | None = None,
    until: SaneDate | None = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> StatisticsOut:
    department = _visible_department(staff, department)
    since, until = _period(since, until)
    stats = await _statistics(conn, department, since, until)
    return StatisticsOut(
        since=since,
        until=until,
        department=department,
        counts=stats["counts"],
        durations=stats["durations"],
        sla_compliance=stats["sla_compliance"],
    )


class PublicComplaint(BaseModel):
    id: UUID
    category: str | None
    kelurahan: str | None
    department: str | None
    status: str | None
    submitted_at: datetime | None
    resolved_at: datetime | None
    after_photo_ids: list[UUID]


class PublicPage(BaseModel):
    items: list[PublicComplaint]
    next_cursor: str | None


@router.get(
    "/public/complaints",
    response_model=PublicPage,
    tags=["public"],
    summary="Public complaints (reporter chose 'publik'): no identities, no staff names, newest first",
)
async def get_public_complaints(
    conn: Conn,
    category: Annotated[str | None, Query(max_length=64)] = None,
    kelurahan: Annotated[str | None, Query(max_length=64)] = None,
    status: ComplaintStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PublicPage:
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, sort="public")
        except BadCursor:
            raise invalid_input(
                field="cursor",
                location="query",
                message=Text("cursor tidak valid", "invalid cursor"),
                detail=Text("Cursor halaman tidak valid.", "Invalid cursor."),
            ) from None
    rows = await repository.list_public(
        conn=conn, category=category, kelurahan=kelurahan, status=status, limit=limit + 1, after=after
    )
    page = rows[:limit]
    return PublicPage(
        items=[
            PublicComplaint(
                **{key: row[key] for key in PublicComplaint.model_fields if key != "after_photo_ids"},
                after_photo_ids=list(row["after_photo_ids"] or ()),
            )
            for row in page
        ],
        next_cursor=encode_cursor("public", page[-1]["submitted_at"], page[-1]["id"]) if len(rows) > limit else None,
    )


class DepartmentPerformance(BaseModel):
    since: date
    until: date
    durations: list[dict[str, Any]]
    sla_compliance: list[dict[str, Any]]


@router.get(
    "/public/departments/performance",
    response_model=DepartmentPerformance,
    tags=["public"],
    summary="Per-department volume, time to finish and SLA compliance",
)
async def get_public_performance(
    conn: Conn, since: SaneDate | None = None, until: SaneDate | None = None
) -> DepartmentPerformance:
    since, until = _period(since, until)
    stats = await _statistics(conn, None, since, until)
    return DepartmentPerformance(
        since=since, until=until, durations=stats["durations"], sla_compliance=stats["sla_compliance"]
    )
