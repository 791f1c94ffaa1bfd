"""Personal-data requests over HTTP. The reporter asks and reads the answers with their
tracking code and follow-up token (`/v1/track/{code}/privacy-requests`); the data protection
officer's screens reach the rest through the internal API (`/internal/v1/privacy`): recording a
request verified on another channel, the queue with its deadlines, the answer, the audit log and
a retention run on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from sigap_intake.complaints import repository as complaint_repository
from sigap_intake.context import Context
from sigap_intake.follow_up import rules as follow_up
from sigap_intake.inputs import FollowUpTokenRequired, PhoneNumber, RateLimited, StrictRequest, TrackingCode, created
from sigap_intake.privacy import commands, repository, retention, rules
from sigap_shared.auth import require_internal_token
from sigap_shared.problems import Text, preferred_language
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import VisibleText

router = APIRouter(prefix="/v1", tags=["personal-data"])
internal_router = APIRouter(
    prefix="/internal/v1/privacy", tags=["internal"], dependencies=[Depends(require_internal_token)]
)

Kind = Literal["access", "correction", "restriction", "deletion"]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StaffRole = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class PrivacyRequestIn(StrictRequest):
    kind: Kind = Field(description="access, correction, restriction or deletion of the reporter's personal data")
    details: VisibleText(min_length=3, max_length=2000) | None = Field(
        None, description="What to correct, or anything the officer should know"
    )


class PrivacyRequestAccepted(BaseModel):
    request_id: UUID
    kind: Kind
    due_at: datetime = Field(description="When the answer is due: 3 x 24 hours after the request (UU 27/2022)")
    message: str


class PrivacyRequestOut(BaseModel):
    id: UUID
    complaint_id: UUID
    kind: Kind
    proof: Literal["follow_up_token", "staff_verified"]
    received_at: datetime
    due_at: datetime
    overdue: bool
    state: Literal["open", "answered", "refused"]
    answer_reason: str | None
    answered_at: datetime | None
    export: dict[str, Any] | None = Field(None, description="An answered access request's machine-readable export")
    has_export: bool = Field(False, description="An export is ready for this request (`export` carries it unless left out)")


class StaffPrivacyRequestOut(PrivacyRequestOut):
    tracking_code: str | None = Field(None, description="The complaint's tracking code")
    verified_by: str | None
    answered_by: str | None
    details: str | None


async def _owned_complaint_id(*, conn, tracking_code: str, token: str) -> UUID:
    complaint = await complaint_repository.tracked_complaint(conn=conn, tracking_code=tracking_code)
    if complaint is None:
        raise follow_up.not_found()
    complaint.check_owner(token)
    return complaint.id  # type: ignore[return-value]


@created(
    router,
    "/track/{tracking_code}/privacy-requests",
    response_model=PrivacyRequestAccepted,
    summary="Ask for access to, correction, restriction or deletion of your personal data (answer within 72 hours)",
    tags=["personal-data"],
)
async def ask(
    tracking_code: TrackingCode,
    body: PrivacyRequestIn,
    request: Request,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenRequired,
) -> PrivacyRequestAccepted:
    complaint_id = await _owned_complaint_id(conn=conn, tracking_code=tracking_code, token=x_follow_up_token)
    recorded = await commands.record_request(
        conn=conn, sealer=context.sealer, complaint_id=complaint_id, kind=body.kind, details=body.details
    )
    message = Text(
        "Permintaan Anda diterima dan akan dijawab petugas pelindungan data paling lambat 3 x 24 jam.",
        "Your request was received; the data protection officer answers within 3 x 24 hours.",
    )
    return PrivacyRequestAccepted(
        request_id=recorded.id, kind=body.kind, due_at=recorded.due_at, message=message.pick(preferred_language(request))
    )


@router.get(
    "/track/{tracking_code}/privacy-requests",
    dependencies=RateLimited,
    summary="Your personal-data requests and their answers (an access answer carries your data export)",
)
async def my_requests(
    tracking_code: TrackingCode, conn: Conn, context: Context, x_follow_up_token: FollowUpTokenRequired,
    response: Response,
    exports: Annotated[
        bool,
        Query(description="Include the exports of answered access requests; each delivery of one is audited. "
              "`false` lists the requests only (`has_export` says whether one is ready)"),
    ] = True,
) -> list[PrivacyRequestOut]:
    complaint_id = await _owned_complaint_id(conn=conn, tracking_code=tracking_code, token=x_follow_up_token)
    response.headers["Cache-Control"] = "no-store"  # an export carries the identity
    views = await commands.reporters_requests(
        conn=conn, sealer=context.sealer, complaint_id=complaint_id, with_exports=exports
    )
    return [PrivacyRequestOut.model_validate(view) for view in views]


# -- for the data protection officer's screens (through status) ------------------------------


class VerifiedRequestIn(StrictRequest):
    tracking_code: TrackingCode
    kind: Kind
    details: VisibleText(min_length=3, max_length=2000) | None = None
    actor: StaffName = Field(description="The staff member who checked the requester's identity")
    actor_role: StaffRole


@internal_router.post(
    "/requests",
    status_code=201,
    summary="Record a request that reached the city another way, once staff verified who asks",
)
async def record_verified(body: VerifiedRequestIn, conn: Conn, context: Context) -> StaffPrivacyRequestOut:
    complaint_id = await commands.complaint_id_of(conn=conn, tracking_code=body.tracking_code)
    if complaint_id is None:
        raise follow_up.not_found()
    recorded = await commands.record_request(
        conn=conn,
        sealer=context.sealer,
        complaint_id=complaint_id,
        kind=body.kind,
        details=body.details,
        verified_by=(body.actor, body.actor_role),
    )
    return await _staff_view(conn=conn, context=context, request_id=recorded.id)


async def _staff_view(
    *, conn, context, request_id: UUID, export_to: tuple[str, str] | None = None
) -> StaffPrivacyRequestOut:
    view = await commands.staff_request(conn=conn, sealer=context.sealer, request_id=request_id, export_to=export_to)
    if view is None:
        raise rules.not_found()
    return StaffPrivacyRequestOut.model_validate(view)


@internal_router.get(
    "/requests",
    summary="The data protection officer's queue: requests in a state, the earliest deadline first",
)
async def queue(
    conn: Conn,
    context: Context,
    state: Literal["open", "answered", "refused"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[StaffPrivacyRequestOut]:
    rows = await repository.requests_in_state(conn=conn, state=state, limit=limit)
    # A queue never carries exports (`has_export` says one is ready): only a single request
    # fetched for its export delivers one, and that is audited.
    views = [commands.request_view(row, sealer=context.sealer, with_details=True, with_export=False) for row in rows]
    return [StaffPrivacyRequestOut.model_validate(view) for view in views]


@internal_router.get(
    "/requests/{request_id}",
    summary="One request with its details; its export (once an access request is granted) only for the dpo "
    "named in export_to, and each delivery is audited",
)
async def one_request(
    request_id: UUID,
    conn: Conn,
    context: Context,
    response: Response,
    export_to: Annotated[StaffName | None, Query(description="The dpo who takes the export")] = None,
    export_role: Annotated[StaffRole | None, Query(description="Their role (only dpo may)")] = None,
) -> StaffPrivacyRequestOut:
    response.headers["Cache-Control"] = "no-store"  # an export carries the identity
    taker = (export_to, export_role) if export_to and export_role else None
    async with conn.transaction():
        return await _staff_view(conn=conn, context=context, request_id=request_id, export_to=taker)


class CorrectedIdentityIn(StrictRequest):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    phone: PhoneNumber | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class AnswerIn(StrictRequest):
    actor: StaffName
    actor_role: StaffRole
    decision: Literal["answered", "refused"]
    reason: VisibleText(min_length=3, max_length=2000) = Field(
        description="What was done, or why the request is refused (e.g. the Art. 15 exemption)"
    )
    corrected_identity: CorrectedIdentityIn | None = None


@internal_router.post(
    "/requests/{request_id}/answer",
    summary="Answer or refuse a request (dpo only; every attempt is audited)",
)
async def answer(request_id: UUID, body: AnswerIn, conn: Conn, context: Context) -> StaffPrivacyRequestOut:
    await commands.answer_request(
        conn=conn,
        sealer=context.sealer,
        store=context.photo_store,
        elsewhere=context.held_elsewhere,
        request_id=request_id,
        actor=body.actor,
        actor_role=body.actor_role,
        decision=body.decision,
        reason=body.reason,
        corrected_identity=body.corrected_identity.model_dump(exclude_none=True) if body.corrected_identity else None,
    )
    return await _staff_view(conn=conn, context=context, request_id=request_id)


class PrivacyAuditEntryOut(BaseModel):
    id: UUID
    complaint_id: UUID
    request_id: UUID | None
    action: str
    actor: str
    actor_role: str
    reason: str | None
    at: datetime


@internal_router.get(
    "/audit",
    summary="Every personal-data step taken for a complaint, oldest first",
)
async def audit(complaint_id: Annotated[UUID, Query()], conn: Conn) -> list[PrivacyAuditEntryOut]:
    return [PrivacyAuditEntryOut.model_validate(entry) for entry in await commands.audit_log(conn=conn, complaint_id=complaint_id)]


class RetentionRunOut(BaseModel):
    erased: int = Field(description="Complaints whose personal data this run erased")
    retention_days: int


@internal_router.post(
    "/retention/run",
    summary="Run the retention job now (it also runs on its own schedule)",
)
async def run_retention_now(context: Context) -> RetentionRunOut:
    days = context.settings.personal_data_retention_days
    erased = await retention.erase_expired(
        pool=context.pool, store=context.photo_store, elsewhere=context.held_elsewhere, retention_days=days
    )
    return RetentionRunOut(erased=erased, retention_days=days)
